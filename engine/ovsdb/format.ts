// Number formatting as Open vSwitch's C code prints it.

/** C's printf("%.*g", prec, x), which OVS uses for reals in messages. */
export function formatG(x: number, prec = 15): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(prec)))));
  if (exp < -4 || exp >= prec) {
    let [m, e] = x.toExponential(prec - 1).split('e') as [string, string];
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
    const en = Number(e);
    return `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  let s = x.toFixed(Math.max(0, prec - 1 - exp));
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

