// ovs-ofctl for the engine's bridges: show, dump-flows, dump-ports, add-flow, add-flows (FILE or -
// for stdin), mod-flows, del-flows (with --strict), dump-ipfix-bridge, dump-ipfix-flow. Flow syntax and dump-flows output are OVS's.
// Real ovs-ofctl speaks OpenFlow to BRIDGE.mgmt; ours speaks to the switch's control socket.
import { readFileSync } from 'node:fs';
import { switchCommand, SwitchControlError } from './switch-control.js';

const PROGRAM = 'ovs-ofctl';
const USAGE = `${PROGRAM}: OpenFlow switch management utility
usage: ${PROGRAM} [OPTIONS] COMMAND [ARG...]

For OpenFlow switches:
  show SWITCH                 show OpenFlow information
  dump-ports SWITCH           print port statistics
  dump-flows SWITCH           print all flow entries
  dump-flows SWITCH FLOW      print matching FLOWs
  add-flow SWITCH FLOW        add flow described by FLOW
  add-flows SWITCH FILE       add flows from FILE ("-" for stdin)
  mod-flows SWITCH FLOW       modify actions of matching FLOWs
  del-flows SWITCH            delete all flows
  del-flows SWITCH FLOW       delete matching FLOWs
  dump-ipfix-bridge SWITCH    print ipfix stats of bridge
  dump-ipfix-flow SWITCH      print flow ipfix of a bridge

Options:
  --strict                    use strict match for flow commands
  -t, --target=TARGET         control socket or daemon name of the switch
  -h, --help                  display this help message
  -V, --version               display version information
`;

const ARITY: Record<string, [number, number]> = {
  show: [1, 1], 'dump-ports': [1, 2], 'dump-flows': [1, 2], 'add-flow': [2, 2], 'add-flows': [2, 2], 'mod-flows': [2, 2], 'del-flows': [1, 2],
  'dump-ipfix-bridge': [1, 1], 'dump-ipfix-flow': [1, 1],
};

export async function main(argv: string[]): Promise<void> {
  let strict = false;
  let target: string | undefined;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--strict') strict = true;
    else if (a === '-h' || a === '--help') { process.stdout.write(USAGE); return; }
    else if (a === '-V' || a === '--version') { process.stdout.write(`${PROGRAM} (Open vSwitch) 3.1.0\nOpenFlow versions 0x1:0x6\n`); return; }
    else if (a.startsWith('--target=')) target = a.slice(9);
    else if (a === '-t' || a === '--target') target = argv[++i];
    else if (/^-O|^--protocols|^--names$|^--no-names$|^--no-stats$|^--readd$|^--sort|^--rsort/.test(a)) { /* accepted */ }
    else if (a.startsWith('-') && a !== '-') { process.stderr.write(`${PROGRAM}: unrecognized option '${a}'\n`); process.exitCode = 1; return; }
    else words.push(a);
  }
  const [command, ...args] = words;
  if (!command) { process.stderr.write(`${PROGRAM}: missing command name; use --help for help\n`); process.exitCode = 1; return; }
  const arity = ARITY[command];
  if (!arity) { process.stderr.write(`${PROGRAM}: unknown command '${command}'; use --help for help\n`); process.exitCode = 1; return; }
  if (args.length < arity[0]) { process.stderr.write(`${PROGRAM}: '${command}' command requires at least ${arity[0]} arguments\n`); process.exitCode = 1; return; }
  if (args.length > arity[1]) { process.stderr.write(`${PROGRAM}: '${command}' command takes at most ${arity[1]} arguments\n`); process.exitCode = 1; return; }
  const [bridge, arg] = args as [string, string | undefined];
  try {
    let out = '';
    switch (command) {
      case 'show': out = await switchCommand('ofctl/show', [bridge], target); break;
      case 'dump-ports': out = await switchCommand('ofctl/dump-ports', [bridge], target); break;
      case 'dump-ipfix-bridge': case 'dump-ipfix-flow': out = await switchCommand(`ofctl/${command}`, [bridge], target); break;
      case 'dump-flows': out = await switchCommand('ofctl/dump-flows', arg ? [bridge, arg] : [bridge], target); break;
      case 'add-flow': out = await switchCommand('ofctl/add-flows', [bridge, arg!], target); break;
      case 'add-flows': {
        let text: string;
        try { text = readFileSync(arg === '-' ? 0 : arg!, 'utf8'); } catch (e) { throw new SwitchControlError(`${arg}: open failed (${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message})`); }
        const flows = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
        out = await switchCommand('ofctl/add-flows', [bridge, ...flows], target);
        break;
      }
      case 'mod-flows': out = await switchCommand('ofctl/mod-flows', strict ? ['--strict', bridge, arg!] : [bridge, arg!], target); break;
      case 'del-flows': {
        const a2 = arg ? [bridge, arg] : [bridge];
        out = await switchCommand('ofctl/del-flows', strict ? ['--strict', ...a2] : a2, target);
        break;
      }
    }
    process.stdout.write(out);
  } catch (e) {
    process.stderr.write(`${PROGRAM}: ${(e as Error).message}\n`);
    process.exitCode = e instanceof SwitchControlError ? e.exitCode : 1;
  }
}
