// UUIDs for rows and symbols that exist only inside one ovs-vsctl transaction (the server
// assigns the real ones). Not security-relevant, so Math.random is enough, which spares every
// ovs-vsctl process the cost of loading node:crypto.

export function localUuid(): string {
  const h = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(Math.random() * 16).toString(16);
    return s;
  };
  return `${h(8)}-${h(4)}-4${h(3)}-${'89ab'[Math.floor(Math.random() * 4)]}${h(3)}-${h(12)}`;
}
