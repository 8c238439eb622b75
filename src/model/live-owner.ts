/**
 * The uid/gid a domain added now would get, as the live reader resolved it (live/accounts.ts):
 * vadddomain gives every new domain the vpopmail account's, never root's. `refused` says why no
 * such owner could be found; the planner refuses to add a domain then, before anything is written.
 */
export type NewDomainOwner = { uid: number; gid: number; from: string } | { refused: string };
