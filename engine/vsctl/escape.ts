// process_escape_args (lib/process.c): joins arguments with spaces, double-quoting those that
// contain whitespace, quotes or backslashes (backslash-escaping `\` and `"` inside).

export function escapeArgs(args: string[]): string {
  return args.map((a) => {
    if (!/[ \t\r\n\v\\'"]/.test(a)) return a;
    let s = '"';
    for (const c of a) {
      if (c === '\\' || c === '"') s += '\\';
      s += c;
    }
    return s + '"';
  }).join(' ');
}
