/** `defaults.placement: spread`: a domain's users over every server. */
export const SPREAD = 'spread';

/** The address a forward on another server reaches a user at: the domain under its home server's route. */
export function routeAddress(user: string, domain: string, route: string): string {
  return `${user}@${routeDomain(domain, route)}`;
}

/** The alias domain a server holds for a domain it shares, so the others can hand it that domain's mail. */
export function routeDomain(domain: string, route: string): string {
  return `${domain}.${route}`;
}
