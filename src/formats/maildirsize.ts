/**
 * Maildir++ `maildirsize`, as vsetuserquota and vadduser write it: the quota (vpasswd's field,
 * `<bytes>S[,<count>C]`) on line 1, then one `<bytes> <count>` line of current usage. Delivery
 * agents append further usage lines; mailstate only ever writes a fresh file.
 */
export function maildirsizeText(quota: string, usage: { bytes: number; count: number }): string {
  return `${quota}\n${usage.bytes} ${usage.count}\n`;
}
