import t from 'tap';
import { JsonSplitter, encodeMessage, parseMessage, type JsonRpcMessage } from '../../engine/rpc/jsonrpc.js';
import type { Json } from '../../engine/ovsdb/api.js';

// A stream of several messages with everything a splitter can get wrong: braces and brackets
// inside strings, escaped quotes and backslashes, \u escapes, multi-byte UTF-8 (2, 3 and 4 bytes),
// whitespace between values, nested arrays.
const values: Json[] = [
  { id: 0, method: 'echo', params: [] },
  { id: 1, method: 'transact', params: ['db', { op: 'insert', table: 'T', row: { s: 'a}b{c]d[e' } }] },
  { id: 'x"}', result: ['\\', '\\"', '"\\', '{"nested":"]"}'], error: null },
  { id: null, method: 'update2', params: ['m', { T: { u: { modify: { name: 'brücke-網橋-🐧' } } } }] },
  [[[[1, 2], []], {}], 'tail'],
  { id: 7, result: { s: '\u0000\u001f\u2028' }, error: null },
];
const stream = Buffer.from(values.map((v) => JSON.stringify(v)).join(' \n\t\r'), 'utf8');

t.test('splitting the same stream at every offset yields the same values', async (t) => {
  const bad: number[] = [];
  for (let cut = 0; cut <= stream.length; cut++) {
    const s = new JsonSplitter();
    const out = [...s.push(stream.subarray(0, cut)), ...s.push(stream.subarray(cut))];
    if (JSON.stringify(out) !== JSON.stringify(values) || !s.idle) bad.push(cut);
  }
  t.same(bad, [], `all ${stream.length + 1} cut offsets give the same ${values.length} values`);
});

t.test('splitting at every pair of offsets and byte by byte', async (t) => {
  const s1 = new JsonSplitter();
  const byByte: Json[] = [];
  for (let i = 0; i < stream.length; i++) byByte.push(...s1.push(stream.subarray(i, i + 1)));
  t.same(byByte, values, 'one byte at a time');
  let bad = 0;
  for (let a = 0; a < stream.length; a += 7) {
    for (let b = a; b <= stream.length; b += 5) {
      const s = new JsonSplitter();
      const out = [...s.push(stream.subarray(0, a)), ...s.push(stream.subarray(a, b)), ...s.push(stream.subarray(b))];
      if (JSON.stringify(out) !== JSON.stringify(values)) bad++;
    }
  }
  t.equal(bad, 0, 'three-piece splits all agree');
});

t.test('the caller may reuse its chunk buffer', async (t) => {
  const s = new JsonSplitter();
  const buf = Buffer.from('{"a":"xyz', 'utf8');
  t.same(s.push(buf), []);
  buf.fill(0x20);
  t.same(s.push(Buffer.from('"}')), [{ a: 'xyz' }]);
});

t.test('size limit', async (t) => {
  const s = new JsonSplitter({ maxMessageBytes: 100 });
  t.same(s.push(Buffer.from(JSON.stringify({ a: 'x'.repeat(80) }))), [{ a: 'x'.repeat(80) }], 'a message under the limit passes');
  t.throws(() => s.push(Buffer.from('{"a":"' + 'y'.repeat(200))), { code: 'OVS_E_JSON_LIMIT' }, 'unfinished message over the limit');
  t.throws(() => s.push(Buffer.from('"}')), { code: 'OVS_E_JSON_LIMIT' }, 'the splitter stays failed');
  const s2 = new JsonSplitter({ maxMessageBytes: 100 });
  let err: unknown;
  try {
    for (let i = 0; i < 50; i++) s2.push(Buffer.from('[1,2,3,'));
  } catch (e) { err = e; }
  t.match(err, { code: 'OVS_E_JSON_LIMIT', message: /size limit of 100 bytes/ }, 'limit across many small chunks');
});

t.test('depth limit', async (t) => {
  const s = new JsonSplitter({ maxDepth: 10 });
  t.same(s.push(Buffer.from('['.repeat(10) + ']'.repeat(10))), [JSON.parse('['.repeat(10) + ']'.repeat(10))]);
  t.throws(() => s.push(Buffer.from('['.repeat(11))), { code: 'OVS_E_JSON_LIMIT', message: /nesting exceeds the limit of 10/ });
  const deep = new JsonSplitter();
  t.throws(() => deep.push(Buffer.from('['.repeat(100000))), { code: 'OVS_E_JSON_LIMIT' }, 'default limit stops a deep bomb before parsing');
  t.same(new JsonSplitter({ maxDepth: 2 }).push(Buffer.from('{"a":"[[[[[[["}')), [{ a: '[[[[[[[' }], 'brackets in strings do not count');
});

t.test('syntax errors', async (t) => {
  t.throws(() => new JsonSplitter().push(Buffer.from('  42 ')), { code: 'OVS_E_JSON_SYNTAX', message: /expected '\{' or '\['.*'4'/ });
  t.throws(() => new JsonSplitter().push(Buffer.from('{"a" 1}')), { code: 'OVS_E_JSON_SYNTAX', message: /not valid JSON/ });
  t.throws(() => new JsonSplitter().push(Buffer.from('{"a":}')), { code: 'OVS_E_JSON_SYNTAX' });
  t.throws(() => new JsonSplitter().push(Buffer.from([0x7b, 0x22, 0x61, 0xff, 0x22, 0x3a, 0x31, 0x7d])), { code: 'OVS_E_JSON_SYNTAX', message: /UTF-8/ });
  const s = new JsonSplitter();
  t.same(s.push(Buffer.from('{"ok":1}{"bad"')), [{ ok: 1 }], 'values before the error are delivered');
  t.throws(() => s.push(Buffer.from('}')), { code: 'OVS_E_JSON_SYNTAX' });
});

t.test('small chunks: a whole message is parsed at once, anything else as the scanner takes it', async (t) => {
  /** Values and error code from pushing `bytes` as one chunk, and from pushing them byte by byte
   *  (the scanner alone: no one-byte chunk is a whole message). */
  const outcome = (bytes: Buffer, chunks: Buffer[], limits = {}): { values: Json[]; error?: string } => {
    const s = new JsonSplitter(limits);
    const values: Json[] = [];
    try {
      for (const c of chunks) values.push(...s.push(c));
    } catch (e) {
      return { values: [], error: (e as { code: string }).code };
    }
    return { values };
  };
  const same = (text: string | Buffer, limits = {}): boolean => {
    const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
    const whole = outcome(bytes, [bytes], limits);
    const byByte = outcome(bytes, [...bytes].map((b) => Buffer.from([b])), limits);
    return byByte.error !== undefined ? whole.error === byByte.error : JSON.stringify(whole) === JSON.stringify(byByte);
  };
  const texts = values.map((v) => JSON.stringify(v));
  const bad: string[] = [];
  for (const a of texts) {
    if (!same(a)) bad.push(a);
    if (!same(`  ${a}\n`)) bad.push(`spaced ${a}`);
    for (const b of texts) for (const sep of ['', ' ', '\n\t']) if (!same(a + sep + b)) bad.push(`${a}${sep}${b}`);
  }
  t.same(bad, [], 'each message alone, and every two in one chunk, give what the scanner gives');
  t.same(new JsonSplitter().push(Buffer.from('{"a":"}{","b":["][",{}]}')), [{ a: '}{', b: ['][', {}] }], 'a boundary-like "}{" inside a string');
  for (const text of ['{"a":1}}', '{"a":1}]', '{"a":}', '{"a" 1}', '[1,2', '{"a":1}x', '  ', '{"a":"\\"}']) {
    t.ok(same(text), `${JSON.stringify(text)}: as the scanner`);
  }
  t.ok(same(Buffer.from([0x7b, 0x22, 0x61, 0xff, 0x22, 0x3a, 0x31, 0x7d])), 'bytes that are not UTF-8: as the scanner');
  // Nesting: a chunk of n bytes nests at most n/2 levels, so every depth limit still holds.
  const depthBad: string[] = [];
  for (let max = 1; max <= 6; max++) {
    for (let k = 1; k <= 8; k++) {
      for (const [o, c] of [['[', ']'], ['{"a":', '}']] as const) {
        const text = o.repeat(k) + (o === '[' ? '' : '1') + c.repeat(k);
        const r = outcome(Buffer.from(text), [Buffer.from(text)], { maxDepth: max });
        if ((r.error === 'OVS_E_JSON_LIMIT') !== (k > max)) depthBad.push(`maxDepth ${max}: ${text} -> ${r.error ?? 'ok'}`);
      }
    }
  }
  t.same(depthBad, [], 'the nesting limit holds for small whole chunks');
  const sized = new JsonSplitter({ maxMessageBytes: 10 });
  t.throws(() => sized.push(Buffer.from('{"a":"xxxxxxxx"}')), { code: 'OVS_E_JSON_LIMIT' }, 'the size limit holds');
});

t.test('parseMessage classifies and validates', async (t) => {
  t.same(parseMessage({ method: 'echo', params: [1], id: 5 }), { kind: 'request', method: 'echo', params: [1], id: 5 });
  t.same(parseMessage({ method: 'update', params: [], id: null }), { kind: 'notification', method: 'update', params: [] });
  t.same(parseMessage({ method: 'cancel', params: [3] }), { kind: 'notification', method: 'cancel', params: [3] });
  t.same(parseMessage({ result: { a: 1 }, error: null, id: 'x' }), { kind: 'reply', result: { a: 1 }, id: 'x' });
  t.same(parseMessage({ result: null, error: 'unknown method', id: 2 }), { kind: 'error', error: 'unknown method', id: 2 });
  t.throws(() => parseMessage([1]), { code: 'OVS_E_JSONRPC_PROTOCOL', message: /not a JSON object/ });
  t.throws(() => parseMessage({ method: 3, params: [], id: 1 }), { message: /"method" is not a string/ });
  t.throws(() => parseMessage({ method: 'x', params: {}, id: 1 }), { message: /"params" of "x" is not an array/ });
  t.throws(() => parseMessage({ method: 'x', params: [], id: 1, extra: 1 }), { message: /unexpected member "extra"/ });
  t.throws(() => parseMessage({ id: 1 }), { message: /neither/ });
  t.throws(() => parseMessage({ result: 1, error: null, id: null }), { message: /null "id"/ });
});

t.test('encodeMessage round-trips through the splitter', async (t) => {
  const msgs: JsonRpcMessage[] = [
    { kind: 'request', method: 'transact', params: ['Open_vSwitch', { op: 'comment', comment: 'ü}' }], id: 1 },
    { kind: 'notification', method: 'update2', params: ['x', {}] },
    { kind: 'reply', result: [{}], id: 1 },
    { kind: 'error', error: { error: 'unknown database', details: 'x' }, id: 'y' },
  ];
  const bytes = Buffer.concat(msgs.map(encodeMessage));
  const out = new JsonSplitter().push(bytes).map(parseMessage);
  t.same(out, msgs);
  t.same(JSON.parse(encodeMessage(msgs[2]).toString()), { id: 1, result: [{}], error: null }, 'reply carries error:null as OVS does');
  t.same(JSON.parse(encodeMessage(msgs[1]).toString()), { id: null, method: 'update2', params: ['x', {}] }, 'notification carries id:null');
});

t.test('ASCII and non-ASCII messages one after another, cut anywhere, decode to the same values', async (t) => {
  const msgs = [{ id: 1, method: 'm', params: ['ascii'] }, { id: 2, method: 'm', params: ['h\u00e9 \u2603 \u{1f600}'] }, { id: 3, method: 'm', params: ['ascii again'] }];
  const bytes = Buffer.from(msgs.map((m) => JSON.stringify(m)).join(''), 'utf8');
  for (let cut = 1; cut < bytes.length; cut++) {
    const sp = new JsonSplitter();
    const got = [...sp.push(bytes.subarray(0, cut)), ...sp.push(bytes.subarray(cut))];
    if (JSON.stringify(got) !== JSON.stringify(msgs)) { t.fail(`cut at ${cut}: ${JSON.stringify(got)}`); return; }
  }
  t.pass('every cut');
  const bad = Buffer.concat([Buffer.from('{"a":"ok"}'), Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x22, 0x7d])]);
  t.throws(() => new JsonSplitter().push(bad), { code: 'OVS_E_JSON_SYNTAX', message: /UTF-8/ }, 'a truncated sequence after an ASCII message is still refused');
});

// Chunks of 4 KiB and more that start between messages and end in '}' or ']' are first tried as
// one whole message (one JSON.parse); these check that path gives what the byte scanner gives.
t.test('large chunks: whole-message parse agrees with the scanner', async (t) => {
  const big: Json = { id: 3, result: { rows: Array.from({ length: 200 }, (_, i) => ({ name: `br${i}`, s: 'a}b{"]\\' })), u: 'brücke-🐧' }, error: null };
  const text = Buffer.from(JSON.stringify(big), 'utf8');
  t.ok(text.length >= 4096, `the message is ${text.length} bytes`);
  t.same(new JsonSplitter().push(text), [big], 'one large message in one chunk');
  t.same(new JsonSplitter().push(Buffer.concat([Buffer.from(' \n'), text, Buffer.from('\n')])), [big], 'with whitespace around it');
  const two = Buffer.concat([text, Buffer.from(' '), text]);
  t.same(new JsonSplitter().push(two), [big, big], 'two large messages in one chunk');
  // A message cut where its first piece (over 4 KiB) happens to end in '}' (the end of an inner row).
  const at = text.indexOf('}', 4096) + 1;
  const s2 = new JsonSplitter();
  t.same(s2.push(text.subarray(0, at)), [], 'a first piece ending in "}" is not taken for a message');
  t.same(s2.push(text.subarray(at)), [big], 'the rest completes it');
  t.ok(s2.idle, 'nothing left over');
  const s3 = new JsonSplitter();
  t.same([...s3.push(text), ...s3.push(Buffer.from('{"id":4,"result":[],"error":null}'))], [big, { id: 4, result: [], error: null }], 'a small message after a whole one');
});

// A large chunk that holds one whole message and then more (replies to requests sent together):
// the first is parsed whole, the rest as any chunk that starts between messages.
t.test('large chunks: a whole message, then more in the same chunk', async (t) => {
  const row = (i: number): Json => ({ name: `br${i}`, s: i % 3 ? 'a}b{"]\\' : 'ü🐧}', n: [i, [i, {}]] });
  const large = (id: number, n: number): Json => ({ id, result: { rows: Array.from({ length: n }, (_, i) => row(i)) }, error: null });
  const small = (id: number): Json => ({ id, result: [{}], error: null });
  const cases: [string, Json[]][] = [
    ['large then small', [large(1, 100), small(2)]],
    ['large then large', [large(1, 100), large(2, 80)]],
    ['small then large', [small(1), large(2, 100)]],
    ['large, small, large, small', [large(1, 60), small(2), large(3, 70), small(4)]],
    ['many small (pipelined requests)', Array.from({ length: 300 }, (_, i) => small(i))],
  ];
  for (const [name, msgs] of cases) {
    for (const sep of ['', ' ', '\n']) {
      const bytes = Buffer.from(msgs.map((m) => JSON.stringify(m)).join(sep), 'utf8');
      for (const holdPartial of [false, true]) {
        const s = new JsonSplitter({ holdPartial });
        t.same(s.push(bytes), msgs, `${name}, separated by ${JSON.stringify(sep)}, holdPartial ${holdPartial}`);
        t.ok(s.idle, 'nothing left over');
      }
    }
  }
  // The chunk ends inside the second message: the first comes out, the second when it is complete.
  const a = Buffer.from(JSON.stringify(large(1, 100)));
  const b = Buffer.from(JSON.stringify(large(2, 100)));
  for (const holdPartial of [false, true]) {
    const s = new JsonSplitter({ holdPartial });
    const cut = b.length >> 1;
    t.same(s.push(Buffer.concat([a, b.subarray(0, cut)])), [large(1, 100)], 'the whole first message, the second cut');
    t.same(s.push(b.subarray(cut)), [large(2, 100)], 'the second once complete');
    t.ok(s.idle);
  }
  // Errors in what follows the first message are reported as for scanned messages.
  t.throws(() => new JsonSplitter().push(Buffer.concat([a, Buffer.from(' {"a" 1}')])), { code: 'OVS_E_JSON_SYNTAX' }, 'bad JSON after a whole message');
  t.throws(() => new JsonSplitter().push(Buffer.concat([a, Buffer.from(' 42 {}')])), { code: 'OVS_E_JSON_SYNTAX', message: /'4'/ }, 'a number between messages');
  const deep = '['.repeat(11) + '1' + ']'.repeat(11);
  t.throws(() => new JsonSplitter({ maxDepth: 10 }).push(Buffer.concat([a, Buffer.from(deep)])), { code: 'OVS_E_JSON_LIMIT' }, 'a second message nested too deep');
  const deepLarge = Buffer.from('['.repeat(10) + JSON.stringify(large(9, 100)) + ']'.repeat(10));
  t.throws(() => new JsonSplitter({ maxDepth: 10 }).push(Buffer.concat([deepLarge, Buffer.from(JSON.stringify(small(1)))])), { code: 'OVS_E_JSON_LIMIT', message: /at byte 0/ }, 'a first message nested too deep');
  const longer = Buffer.from(JSON.stringify(large(2, 150)));
  const sized = new JsonSplitter({ maxMessageBytes: a.length });
  t.same(sized.push(Buffer.concat([a, longer.subarray(0, 10)])), [large(1, 100)], 'the first message within the size limit');
  t.throws(() => sized.push(longer.subarray(10)), { code: 'OVS_E_JSON_LIMIT' }, 'the second over it');
});

t.test('large chunks: limits and bad bytes as for scanned messages', async (t) => {
  const deep = (levels: number): string => '['.repeat(levels - 1) + `{"pad":"${'x'.repeat(5000)}"}` + ']'.repeat(levels - 1);
  t.same(new JsonSplitter({ maxDepth: 10 }).push(Buffer.from(deep(10))).length, 1, 'nesting at the limit passes');
  t.throws(() => new JsonSplitter({ maxDepth: 10 }).push(Buffer.from(deep(11))), { code: 'OVS_E_JSON_LIMIT', message: /nesting exceeds the limit of 10 levels/ }, 'nesting over the limit');
  const big = Buffer.from(JSON.stringify({ a: 'x'.repeat(6000) }));
  t.throws(() => new JsonSplitter({ maxMessageBytes: 5000 }).push(big), { code: 'OVS_E_JSON_LIMIT' }, 'size over the limit');
  const bad = Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(5000, 0x61), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
  t.throws(() => new JsonSplitter().push(bad), { code: 'OVS_E_JSON_SYNTAX', message: /not valid UTF-8/ }, 'invalid UTF-8');
  const notJson = Buffer.from(`{"a":"${'x'.repeat(5000)}",}`);
  t.throws(() => new JsonSplitter().push(notJson), { code: 'OVS_E_JSON_SYNTAX' }, 'a large chunk that is not JSON is a syntax error');
});

// holdPartial (clients): a large first piece of a message is held unscanned until a later piece
// completes it. Whatever the cuts, the values must be those of the scanner, in order.
t.test('holdPartial: any cuts of a stream of large and small messages give the same values', async (t) => {
  const row = (i: number): Json => ({ name: `br${i}`, s: i % 3 ? 'a}b{"]\\' : 'ü🐧}', n: [i, [i, {}]] });
  const msgs: Json[] = [
    { id: 1, result: { rows: Array.from({ length: 150 }, (_, i) => row(i)) }, error: null },
    { id: null, method: 'update3', params: ['m', { T: {} }] },
    [{ rows: Array.from({ length: 90 }, (_, i) => row(i + 500)) }],
    { id: 2, result: [], error: null },
    { id: 3, result: { rows: Array.from({ length: 60 }, (_, i) => row(i + 900)) }, error: null },
  ];
  const bytes = Buffer.from(msgs.map((m) => JSON.stringify(m)).join('\n'), 'utf8');
  t.ok(bytes.length > 12000, `${bytes.length} bytes`);
  const run = (cuts: number[], holdPartial = true): { out: Json[]; idle: boolean } => {
    const s = new JsonSplitter({ holdPartial });
    const out: Json[] = [];
    let at = 0;
    for (const c of [...cuts, bytes.length]) { out.push(...s.push(bytes.subarray(at, c))); at = c; }
    return { out, idle: s.idle };
  };
  // Both settings: without holdPartial, large chunks that start between messages are parsed
  // whole too (one message, or one and then more).
  for (const holdPartial of [true, false]) {
    let bad = 0;
    for (let a = 1; a < bytes.length; a += 37) {
      for (const b of [a + 1, a + 4096, a + 5000, a + 9000]) {
        if (b >= bytes.length) continue;
        const r = run([a, b], holdPartial);
        if (JSON.stringify(r.out) !== JSON.stringify(msgs) || !r.idle) bad++;
      }
    }
    t.equal(bad, 0, `every two-cut split agrees (holdPartial ${holdPartial})`);
  }
  for (const size of [4096, 4097, 5000, 65536]) {
    const cuts: number[] = [];
    for (let c = size; c < bytes.length; c += size) cuts.push(c);
    const r = run(cuts);
    t.same(r.out, msgs, `read in pieces of ${size} bytes`);
    t.ok(r.idle, 'nothing left over');
  }
  // Each message's end in its own chunk: every message comes out as soon as its end arrives.
  const ends: number[] = [];
  let pos = 0;
  for (const m of msgs) { pos += Buffer.byteLength(JSON.stringify(m)); ends.push(pos); pos += 1; }
  const s = new JsonSplitter({ holdPartial: true });
  let at = 0;
  const got: number[] = [];
  for (const e of ends) {
    got.push(s.push(bytes.subarray(at, Math.max(at, e - 3000))).length + s.push(bytes.subarray(Math.max(at, e - 3000), e)).length);
    at = e;
  }
  t.same(got, [1, 1, 1, 1, 1], 'one message per end, none held back');
});

t.test('holdPartial: limits, bad input and a peer that stops mid-message', async (t) => {
  const big = Buffer.from(JSON.stringify({ id: 1, result: 'x'.repeat(20000), error: null }));
  const s1 = new JsonSplitter({ holdPartial: true, maxMessageBytes: 10000 });
  t.throws(() => { s1.push(big.subarray(0, 6000)); s1.push(big.subarray(6000)); }, { code: 'OVS_E_JSON_LIMIT' }, 'size limit');
  const deep = Buffer.from('['.repeat(20) + `"${'y'.repeat(6000)}"` + ']'.repeat(20));
  const s2 = new JsonSplitter({ holdPartial: true, maxDepth: 10 });
  t.throws(() => { s2.push(deep.subarray(0, 5000)); s2.push(deep.subarray(5000)); }, { code: 'OVS_E_JSON_LIMIT', message: /nesting/ }, 'nesting limit');
  const s3 = new JsonSplitter({ holdPartial: true });
  const garbage = Buffer.concat([big.subarray(0, 5000), Buffer.from('"}} nonsense}')]);
  t.throws(() => { s3.push(garbage.subarray(0, 4500)); s3.push(garbage.subarray(4500)); }, { code: 'OVS_E_JSON_SYNTAX' }, 'not JSON: a syntax error, as scanned');
  const s4 = new JsonSplitter({ holdPartial: true });
  t.same(s4.push(big.subarray(0, 8000)), [], 'a first piece is held');
  t.equal(s4.pendingBytes, 8000, 'and counted as pending');
  t.notOk(s4.idle, 'the stream is in the middle of a message');
  t.same(s4.push(big.subarray(8000)), [JSON.parse(big.toString())], 'the rest completes it');
  t.ok(s4.idle);
});
