/**
 * `node dist-bench/bench/place-users.js N SERVERS`: places N users (`u<i>@spread.test`) over
 * SERVERS equal servers with mailstate's placement, and prints the worst excess over a fair share.
 * What `npm run bench` times for the fleet's placement floor.
 */
import { distribution, worstExcess } from '../src/fleet/balance.js';
import { hrwPlace, hrwRing } from '../src/fleet/hrw.js';

const users = Number(process.argv[2]);
const count = Number(process.argv[3]);
const servers = Array.from({ length: count }, (_, i) => ({ name: `mx${i + 1}`, weight: 1 }));
const ring = hrwRing(servers);
const counts = new Map(servers.map((s) => [s.name, 0]));
for (let i = 0; i < users; i++) {
  const home = hrwPlace(ring, `u${i}@spread.test`);
  counts.set(home, counts.get(home)! + 1);
}
process.stdout.write(`${worstExcess(distribution(servers, counts)).toFixed(3)}\n`);
