import type { HrwServer } from './hrw.js';

/** One server's row of a distribution table. */
export interface ServerShare {
  server: string;
  weight: number;
  users: number;
  /** What the server would hold if users were split exactly by weight. */
  fairShare: number;
  /** (users - fairShare) / fairShare, in percent; 0 when the fair share is 0. */
  deviationPercent: number;
}

/** The margins issue 14 sets: within 5 % of the fair share at 10,000 users, 1 % at 1,000,000. */
export function balanceMargin(users: number): number {
  return users >= 1_000_000 ? 1 : 5;
}

/** Users per server against each server's fair share by weight. */
export function distribution(servers: readonly HrwServer[], counts: ReadonlyMap<string, number>): ServerShare[] {
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  const weights = servers.reduce((sum, server) => sum + server.weight, 0);
  return servers.map((server) => {
    const users = counts.get(server.name) ?? 0;
    const fairShare = (total * server.weight) / weights;
    const deviationPercent = fairShare === 0 ? 0 : ((users - fairShare) / fairShare) * 100;
    return { server: server.name, weight: server.weight, users, fairShare, deviationPercent };
  });
}

/** The largest excess over a fair share, in percent (a server below its share is not over). */
export function worstExcess(rows: readonly ServerShare[]): number {
  return Math.max(0, ...rows.map((row) => row.deviationPercent));
}
