// The "cksum" field of an OVS schema file: POSIX `cksum` (CRC-32/CKSUM + byte count) of the file
// with the line holding the cksum member removed, printed as "<crc> <length>" (OVS build rule).

const TABLE = (() => {
  const tab = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    tab[i] = c >>> 0;
  }
  return tab;
})();

/** POSIX cksum CRC of a byte string (what `cksum` prints first). */
export function posixCksum(data: Uint8Array): number {
  let crc = 0;
  const step = (byte: number): void => {
    crc = ((crc << 8) ^ TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  };
  for (const b of data) step(b);
  for (let n = data.length; n > 0; n = Math.floor(n / 256)) step(n & 0xff);
  return ~crc >>> 0;
}

/** The cksum text OVS expects in a schema file's "cksum" member. */
export function schemaCksumText(fileText: string): string {
  const kept = fileText.split('\n').filter((l) => !/"cksum": *"[0-9]+ [0-9]+",/.test(l)).join('\n');
  const bytes = Buffer.from(kept, 'utf8');
  return `${posixCksum(bytes)} ${bytes.length}`;
}
