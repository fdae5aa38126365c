// A small IPFIX (RFC 7011) decoder for tests: message header, template sets and data sets decoded
// with the templates the exporter sent earlier (one decoder per collector keeps them), including
// variable-length and enterprise-specific elements (real OVS sends both).

/** A data record: information element id -> its raw bytes. */
export type IpfixRecord = Map<number, Buffer>;
export interface IpfixMessage { version: number; domain: number; sequence: number; records: Array<{ template: number; fields: IpfixRecord }> }

/** Returns a function decoding one datagram; throws on a malformed message or a data set whose
 *  template was never received (in that observation domain). */
export function ipfixDecoder(): (b: Buffer) => IpfixMessage {
  const templates = new Map<string, Array<[number, number]>>();
  return (b: Buffer): IpfixMessage => {
    const version = b.readUInt16BE(0), len = b.readUInt16BE(2);
    if (len !== b.length) throw new Error(`IPFIX length ${len} != datagram ${b.length}`);
    const msg: IpfixMessage = { version, sequence: b.readUInt32BE(8), domain: b.readUInt32BE(12), records: [] };
    let o = 16;
    while (o < b.length) {
      const setId = b.readUInt16BE(o), setLen = b.readUInt16BE(o + 2), end = o + setLen;
      if (setLen < 4 || end > b.length) throw new Error(`IPFIX set ${setId} has a bad length ${setLen}`);
      let p = o + 4;
      if (setId === 2) {
        while (p + 4 <= end) {
          const id = b.readUInt16BE(p), n = b.readUInt16BE(p + 2); p += 4;
          const fields: Array<[number, number]> = [];
          for (let i = 0; i < n; i++) {
            const ie = b.readUInt16BE(p), l = b.readUInt16BE(p + 2);
            p += 4;
            // An enterprise-specific element carries its enterprise number; keyed as ie | 0x10000.
            if (ie & 0x8000) { fields.push([(ie & 0x7fff) | 0x10000, l]); p += 4; } else fields.push([ie, l]);
          }
          templates.set(`${msg.domain}/${id}`, fields);
        }
      } else if (setId >= 256) {
        const tpl = templates.get(`${msg.domain}/${setId}`);
        if (!tpl) throw new Error(`data set ${setId} before its template (domain ${msg.domain})`);
        const min = tpl.reduce((n, [, l]) => n + (l === 0xffff ? 1 : l), 0);
        while (p + min <= end) {
          const fields: IpfixRecord = new Map();
          for (const [id, l] of tpl) {
            let len = l;
            if (l === 0xffff) { len = b[p++]!; if (len === 255) { len = b.readUInt16BE(p); p += 2; } } // RFC 7011 7: variable length
            if (p + len > end) throw new Error(`IPFIX record of template ${setId} overruns its set`);
            fields.set(id, b.subarray(p, p + len));
            p += len;
          }
          msg.records.push({ template: setId, fields });
        }
      }
      o = end;
    }
    return msg;
  };
}

/** Field readers for a decoded record. */
export const ipfixField = {
  u8: (r: IpfixRecord, id: number): number => r.get(id)![0]!,
  u32: (r: IpfixRecord, id: number): number => r.get(id)!.readUInt32BE(0),
  u64: (r: IpfixRecord, id: number): number => Number(r.get(id)!.readBigUInt64BE(0)),
  ipv4: (r: IpfixRecord, id: number): string => [...r.get(id)!].join('.'),
};
