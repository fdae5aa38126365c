// ovs-dpctl for the engine's datapath: show, dump-flows, del-flows (output as OVS's dpctl).
// The datapath lives in the switch process, so commands go through its control socket (as
// `ovs-appctl dpctl/...` does in OVS).
import { switchCommand, SwitchControlError } from './switch-control.js';

const PROGRAM = 'ovs-dpctl';
const USAGE = `${PROGRAM}: Open vSwitch datapath management utility
usage: ${PROGRAM} [OPTIONS] COMMAND [ARG...]
  show [DP...]               show basic info on DPs
  dump-flows [DP]            display flows in DP
  del-flows [DP]             delete all flows from DP
Options:
  -t, --target=TARGET         control socket or daemon name of the switch
  -h, --help                  display this help message
  -V, --version               display version information
`;

export async function main(argv: string[]): Promise<void> {
  let target: string | undefined;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') { process.stdout.write(USAGE); return; }
    if (a === '-V' || a === '--version') { process.stdout.write(`${PROGRAM} (Open vSwitch) 3.1.0\n`); return; }
    if (a.startsWith('--target=')) { target = a.slice(9); continue; }
    if (a === '-t' || a === '--target') { target = argv[++i]; continue; }
    if (a === '-s' || a === '--statistics' || a === '-m' || a === '--more') continue;
    if (a.startsWith('-')) { process.stderr.write(`${PROGRAM}: unrecognized option '${a}'\n`); process.exitCode = 1; return; }
    words.push(a);
  }
  const [command = 'show', ...args] = words;
  if (!['show', 'dump-flows', 'del-flows'].includes(command)) {
    process.stderr.write(`${PROGRAM}: unknown command '${command}'; use --help for help\n`);
    process.exitCode = 1;
    return;
  }
  if (args.length > 1 || (args[0] && !/^(system@)?ovs-system$/.test(args[0]) && command !== 'show')) {
    if (args[0] && !/^(system@)?ovs-system$/.test(args[0])) {
      process.stderr.write(`${PROGRAM}: opening datapath ${args[0]} failed (No such device)\n`);
      process.exitCode = 1;
      return;
    }
  }
  try {
    process.stdout.write(await switchCommand(`dpctl/${command}`, [], target));
  } catch (e) {
    process.stderr.write(`${PROGRAM}: ${(e as Error).message}\n`);
    process.exitCode = e instanceof SwitchControlError ? e.exitCode : 1;
  }
}
