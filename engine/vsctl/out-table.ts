// OVS's lib/table.c: a table of cells with an optional caption and time line, printed as table,
// list, html, csv or json with string/bare/json cells. ovs-vsctl's list/find and every table
// ovsdb-client prints go through it.
import type { Json, JsonObject } from '../ovsdb/api.js';
import type { ColumnType } from './schema.js';
import { datumFromWire, datumToBare, datumToString, datumToWire, type Datum } from './datum.js';
import { ovsJsonToText } from './json-text.js';
import type { TableStyle } from './types.js';

/** A cell: a datum of a column, literal text, or wire JSON (with its column type, when it has
 *  one: then it prints as a datum, as OVS prints a cell whose JSON parses as that type). A JSON
 *  cell without `json` is empty: "" in text, null in JSON. */
export type Cell = { datum: Datum; type: ColumnType } | { text: string } | { json?: Json; type?: ColumnType };

export class OutTable {
  readonly headings: string[];
  readonly rows: Cell[][] = [];
  /** A line before the headings ("Bridge table"); "caption" in JSON. */
  caption?: string;
  /** Print the wall-clock time (UTC, milliseconds) before the table; "time" in JSON. */
  timestamp = false;
  constructor(headings: string[]) {
    this.headings = headings;
  }
}

function cellJson(c: Cell): Json {
  if ('datum' in c) return datumToWire(c.datum, c.type);
  return 'text' in c ? c.text : c.json ?? null;
}

function cellText(c: Cell, style: TableStyle): string {
  if ('text' in c) return c.text;
  let d: Datum;
  let type: ColumnType;
  if ('datum' in c) {
    if (style.data === 'json') return ovsJsonToText(datumToWire(c.datum, c.type));
    d = c.datum;
    type = c.type;
  } else {
    if (c.json === undefined) return '';
    if (style.data === 'json' || !c.type) return ovsJsonToText(c.json);
    type = c.type;
    try {
      d = datumFromWire(c.json, type);
    } catch {
      return ovsJsonToText(c.json);
    }
  }
  return style.data === 'string' ? datumToString(d, type) : datumToBare(d, type);
}

/** table_usage(): the output formatting options, as OVS's tools list them in --help. */
export const TABLE_USAGE = `
Output formatting options:
  -f, --format=FORMAT         set output formatting to FORMAT
                              ("table", "html", "csv", or "json")
  -d, --data=FORMAT           set table cell output formatting to
                              FORMAT ("string", "bare", or "json")
  --no-headings               omit table heading row
  --pretty                    pretty-print JSON in output
  --bare                      equivalent to "--format=list --data=bare --no-headings"
`;

/** lib/table.c's time line: "%Y-%m-%d %H:%M:%S.###" in UTC. */
export function tableTimestamp(now = new Date()): string {
  return now.toISOString().replace('T', ' ').slice(0, 23);
}

/** The time line and caption line that table, list and csv output start with. */
function preamble(t: OutTable): string {
  return (t.timestamp ? tableTimestamp() + '\n' : '') + (t.caption !== undefined ? t.caption + '\n' : '');
}

/** table_finish_line: trailing spaces dropped, then a newline. (Not `/ +$/`: V8 retries that
 *  at every space of the line, quadratic on a long line with many spaces.) */
function finishLine(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x20) end--;
  return s.slice(0, end) + '\n';
}

/** Formats one table; `first` is false for the second and later tables of one invocation. */
export function formatTable(t: OutTable, style: TableStyle, first: boolean): string {
  switch (style.format) {
    case 'table': return (first ? '' : '\n') + preamble(t) + formatGrid(t, style);
    case 'list': return (first ? '' : '\n') + preamble(t) + formatList(t, style);
    case 'csv': return (first ? '' : '\n') + preamble(t) + formatCsv(t, style);
    case 'html': return formatHtml(t, style);
    case 'json': return formatJson(t, style);
  }
}

function byteLen(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function padTrunc(s: string, w: number): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length > w) return b.subarray(0, w).toString('utf8');
  return s + ' '.repeat(w - b.length);
}

function formatGrid(t: OutTable, style: TableStyle): string {
  const texts = t.rows.map((r) => r.map((c) => cellText(c, style)));
  const widths = t.headings.map((h, x) => {
    let w = 0;
    for (const r of texts) w = Math.max(w, byteLen(r[x] as string));
    if (style.maxColumnWidth > 0 && w > style.maxColumnWidth) w = style.maxColumnWidth;
    if (style.headings) w = Math.max(w, byteLen(h));
    return w;
  });
  let s = '';
  if (style.headings) {
    s += finishLine(t.headings.map((h, x) => padHeading(h, widths[x] as number)).join(' '));
    s += finishLine(widths.map((w) => '-'.repeat(w)).join(' '));
  }
  for (const r of texts) s += finishLine(r.map((txt, x) => padTrunc(txt, widths[x] as number)).join(' '));
  return s;
}

function padHeading(h: string, w: number): string {
  return h + ' '.repeat(Math.max(0, w - byteLen(h)));
}

function formatList(t: OutTable, style: TableStyle): string {
  let s = '';
  t.rows.forEach((r, y) => {
    if (y > 0) s += '\n';
    r.forEach((c, x) => {
      if (style.headings) s += (t.headings[x] as string).padEnd(20) + ': ';
      s += cellText(c, style) + '\n';
    });
  });
  return s;
}

function csvCell(s: string): string {
  return /[\n",]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

function formatCsv(t: OutTable, style: TableStyle): string {
  let s = '';
  if (style.headings) s += t.headings.map(csvCell).join(',') + '\n';
  for (const r of t.rows) s += r.map((c) => csvCell(cellText(c, style))).join(',') + '\n';
  return s;
}

function htmlEscape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

const UUID_PREFIX = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/;
function htmlCell(el: string, content: string): string {
  let s = `    <${el}>`;
  let p = 0;
  while (p < content.length) {
    const m = UUID_PREFIX.exec(content.slice(p));
    if (m) {
      s += `<a href="#${m[0]}">${m[0].slice(0, 8)}</a>`;
      p += 36;
    } else {
      s += htmlEscape(content[p] as string);
      p++;
    }
  }
  return s + `</${el}>\n`;
}

function formatHtml(t: OutTable, style: TableStyle): string {
  let s = (t.timestamp ? tableTimestamp() + '\n' : '') + '<table border=1>\n';
  if (t.caption !== undefined) s += htmlCell('caption', t.caption);
  if (style.headings) {
    s += '  <tr>\n';
    for (const h of t.headings) s += htmlCell('th', h);
    s += '  </tr>\n';
  }
  for (const r of t.rows) {
    s += '  <tr>\n';
    r.forEach((c, x) => {
      const content = cellText(c, style);
      if (t.headings[x] === '_uuid') s += `    <td><a name="${htmlEscape(content)}">${htmlEscape(content.slice(0, 8))}</a></td>\n`;
      else s += htmlCell('td', content);
    });
    s += '  </tr>\n';
  }
  return s + '</table>\n';
}

function formatJson(t: OutTable, style: TableStyle): string {
  const j: JsonObject = { headings: t.headings, data: t.rows.map((r) => r.map(cellJson)) };
  if (t.caption !== undefined) j.caption = t.caption;
  if (t.timestamp) j.time = tableTimestamp();
  return ovsJsonToText(j, style.pretty) + '\n';
}
