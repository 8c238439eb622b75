import type { Driver } from './types.js';

/** Runs vpopmail's own binaries. Not written yet: see issue 3's closing note. */
export const vpopmailDriver: Driver = {
  name: 'vpopmail',
  async applyDomainUsers() {
    throw new Error('the vpopmail driver is not available yet; use --driver files');
  },
  async addDomain() {
    throw new Error('the vpopmail driver is not available yet; use --driver files');
  },
  async addAliasDomain() {
    throw new Error('the vpopmail driver is not available yet; use --driver files');
  },
};
