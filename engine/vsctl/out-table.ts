// The table that list/find produce, and its output formats (lib/table.c): table, list, html,
// csv and json, with string/bare/json cells.
import type { Json, JsonObject } from '../ovsdb/api.js';
import type { ColumnType } from './schema.js';
import { datumToBare, datumToString, datumToWire, type Datum } from './datum.js';
import { ovsJsonToText } from './json-text.js';
import type { TableStyle } from './types.js';

export interface Cell {
  datum: Datum;
  type: ColumnType;
}

export class OutTable {
  readonly headings: string[];
  readonly rows: Cell[][] = [];
  constructor(headings: string[]) {
    this.headings = headings;
  }
}

function cellJson(c: Cell): Json {
  return datumToWire(c.datum, c.type);
}

function cellText(c: Cell, style: TableStyle): string {
  if (style.data === 'json') return ovsJsonToText(cellJson(c));
  return style.data === 'string' ? datumToString(c.datum, c.type) : datumToBare(c.datum, c.type);
}

function finishLine(s: string): string {
  return s.replace(/ +$/, '') + '\n';
}

/** Formats one table; `first` is false for the second and later tables of one invocation. */
export function formatTable(t: OutTable, style: TableStyle, first: boolean): string {
  switch (style.format) {
    case 'table': return (first ? '' : '\n') + formatGrid(t, style);
    case 'list': return (first ? '' : '\n') + formatList(t, style);
    case 'csv': return (first ? '' : '\n') + formatCsv(t, style);
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
  let s = '<table border=1>\n';
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
  return ovsJsonToText(j, style.pretty) + '\n';
}
