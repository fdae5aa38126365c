// A binary trie of 32-bit prefixes (OVS's classifier prefix tries): given a packet's value it
// says which prefix lengths have rules along the value's path and how many leading bits had to
// be examined to know that — the bits a megaflow must match instead of the whole field.

interface Node { child: [Node | undefined, Node | undefined]; nRules: number }

const bitAt = (v: number, i: number) => (v >>> (31 - i)) & 1;

export class PrefixTrie {
  private root: Node = { child: [undefined, undefined], nRules: 0 };

  insert(value: number, plen: number): void {
    let n = this.root;
    for (let i = 0; i < plen; i++) {
      const b = bitAt(value, i);
      n = n.child[b] ??= { child: [undefined, undefined], nRules: 0 };
    }
    n.nRules++;
  }

  remove(value: number, plen: number): void {
    const path: Array<[Node, number]> = [];
    let n: Node | undefined = this.root;
    for (let i = 0; i < plen && n; i++) {
      const b = bitAt(value, i);
      path.push([n, b]);
      n = n.child[b];
    }
    if (!n || n.nRules === 0) return;
    n.nRules--;
    // Prune nodes left without rules or children.
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, b] = path[i]!;
      const c = parent.child[b]!;
      if (c.nRules === 0 && !c.child[0] && !c.child[1]) parent.child[b] = undefined;
      else break;
    }
  }

  /**
   * Walks `value` (`nBits` significant bits from the top). Returns the number of leading bits
   * that decide the outcome and adds to `plens` every prefix length with rules on the path.
   */
  lookup(value: number, nBits: number, plens: Set<number>): number {
    let n: Node = this.root;
    let len = 0;
    for (;;) {
      if (n.nRules > 0 && len > 0) plens.add(len);
      if (len >= nBits) return nBits;
      const next = n.child[bitAt(value, len)];
      if (!next) {
        // Tried a branch that does not exist: the other one (if any) had to be excluded too.
        return !n.child[0] && !n.child[1] ? len : len + 1;
      }
      n = next;
      len++;
    }
  }
}

export function prefixMask32(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}
