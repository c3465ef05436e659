/**
 * The `groupgate` command: `serve` runs the server; the other commands are an operator's daily
 * tools over a running server's native API (through the typed client), each with `--json`.
 * Server and key come from --url/--key or GROUPGATE_URL/GROUPGATE_API_KEY.
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, describeConfig } from './config.js';
import { CliError, connect, processIo, resolveInstance, takeInstance, type CliIo, type GlobalOptions } from './cli-io.js';

export type { CliIo } from './cli-io.js';

const ENGINES = ['sandbox', 'baileys'] as const;

/** Builds the command tree; `run` records each action's exit code. */
function program(io: CliIo, setCode: (code: number) => void): Command {
  const root = new Command('groupgate')
    .description('Self-hosted WhatsApp group-management gateway: the server, and the tools to drive it.')
    .option('--url <url>', 'the server (default: GROUPGATE_URL or http://127.0.0.1:3000)')
    .option('--key <key>', 'an API key or the admin key (default: GROUPGATE_API_KEY)')
    .option('--json', 'print JSON for scripts instead of tables')
    .showHelpAfterError('(groupgate --help lists the commands)')
    .addHelpText(
      'after',
      `\nExamples:\n  npx groupgate serve\n  export GROUPGATE_API_KEY=gg_admin_...\n  npx groupgate instances create Sales --engine sandbox\n  npx groupgate groups list Sales\n  npx groupgate participants add Sales 120363...@g.us --file members.csv\n  npx groupgate events tail\n\nConfiguration of \`serve\` (environment):\n${describeConfig().join('\n')}\n`,
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
  const conn = (cmd: Command) => connect(globals(cmd), io);
  const act =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A) =>
      setCode(await fn(...args));
  const instanceOption = new Option('--instance <instance>', 'the instance (id, name or idInstance), instead of the first argument');

  root
    .command('serve')
    .description('start the server (configuration from GROUPGATE_* variables; see groupgate --help)')
    .action(
      act(async () => {
        const { serve } = await import('./server.js');
        try {
          await serve();
        } catch (err) {
          if (err instanceof ConfigError) throw new CliError(err.message, 2);
          throw err;
        }
        return 0;
      }),
    );

  const instances = root.command('instances').description('list, create and delete instances (WhatsApp numbers)');
  instances
    .command('list')
    .description('every instance the key may see')
    .action(act(async (_o, cmd: Command) => (await import('./cli-commands.js')).instancesList(conn(cmd))));
  instances
    .command('create')
    .argument('[name]', 'a name for it')
    .addOption(new Option('--engine <engine>', 'sandbox (emulated, for trying things) or baileys (a real number)').choices(ENGINES).default('baileys'))
    .option('--phone <phone>', 'the number (sandbox: optional; baileys: filled in once linked)')
    .description('create an instance; prints its token once')
    .action(
      act(async (name: string | undefined, o: { engine: (typeof ENGINES)[number]; phone?: string }, cmd: Command) =>
        (await import('./cli-commands.js')).instancesCreate(conn(cmd), name, o),
      ),
    );
  instances
    .command('delete')
    .argument('[instance]', 'id, name or idInstance')
    .addOption(instanceOption)
    .option('--yes', 'confirm: deleting logs the number out and keeps nothing')
    .description('delete an instance')
    .action(
      act(async (ref: string | undefined, o: { yes?: boolean }, cmd: Command) => {
        const c = conn(cmd);
        const inst = await resolveInstance(c, takeInstance(globals(cmd), [ref].filter(Boolean) as string[]));
        return (await import('./cli-commands.js')).instancesDelete(c, inst, o.yes === true);
      }),
    );

  root
    .command('link')
    .argument('[instance]', 'id, name or idInstance')
    .addOption(instanceOption)
    .option('--pairing-phone <phone>', 'print a pairing code for this number instead of a QR')
    .option('--timeout <seconds>', 'give up after this long', (v) => positive(v, '--timeout'), 300)
    .description('link a WhatsApp number: shows the QR in the terminal (or a pairing code) and waits until connected')
    .action(
      act(async (ref: string | undefined, o: { pairingPhone?: string; timeout: number }, cmd: Command) => {
        const c = conn(cmd);
        const inst = await resolveInstance(c, takeInstance(globals(cmd), [ref].filter(Boolean) as string[]));
        return (await import('./cli-commands.js')).link(c, inst, { ...o, interval: 2_000 });
      }),
    );

  const groups = root.command('groups').description('list, show and create groups');
  groups
    .command('list')
    .argument('[instance]', 'id, name or idInstance')
    .addOption(instanceOption)
    .option('--search <text>', 'part of the name or id')
    .option('--limit <n>', 'page size', (v) => positive(v, '--limit'), 50)
    .option('--offset <n>', 'groups to skip', (v) => positive(v, '--offset', true), 0)
    .description("the instance's groups, from the server's store")
    .action(
      act(async (ref: string | undefined, o: { search?: string; limit: number; offset: number }, cmd: Command) => {
        const c = conn(cmd);
        const inst = await resolveInstance(c, takeInstance(globals(cmd), [ref].filter(Boolean) as string[]));
        return (await import('./cli-commands.js')).groupsList(c, inst, o);
      }),
    );
  groups
    .command('show')
    .argument('<args...>', '[instance] <group id>')
    .addOption(instanceOption)
    .description('one group with its participants')
    .action(
      act(async (args: string[], _o, cmd: Command) => {
        const c = conn(cmd);
        const inst = await resolveInstance(c, takeInstance(globals(cmd), args));
        if (args.length !== 1) throw new CliError('give the group id: groupgate groups show <instance> <group id>', 2);
        return (await import('./cli-commands.js')).groupsShow(c, inst, args[0]!);
      }),
    );
  groups
    .command('create')
    .argument('<args...>', '[instance] <name> <number>...')
    .addOption(instanceOption)
    .option('--description <text>', 'the group description')
    .description('create a group with its first participants (paced by the server)')
    .action(
      act(async (args: string[], o: { description?: string }, cmd: Command) => {
        const c = conn(cmd);
        const inst = await resolveInstance(c, takeInstance(globals(cmd), args));
        const [name, ...numbers] = args;
        if (!name) throw new CliError('give the group name', 2);
        return (await import('./cli-commands.js')).groupsCreate(c, inst, name, numbers, o);
      }),
    );

  const participants = root.command('participants').description('add or remove people, paced and resumable');
  for (const verb of ['add', 'remove'] as const) {
    participants
      .command(verb)
      .argument('[args...]', '[instance] [group] [number...]')
      .addOption(instanceOption)
      .option('--group <group>', 'the group id, instead of an argument')
      .option('--file <csv>', 'a CSV with a "phone" column (lines that are not numbers are reported and skipped)')
      .option('--no-invite', 'add: do not send a private invite when privacy refuses the add')
      .option('--interval <seconds>', 'how often to check a paced operation', (v) => positive(v, '--interval', true), 2)
      .description(
        verb === 'add'
          ? "add numbers (or a CSV's phone column) to a group; paced by the server, with a progress bar; run it again to resume"
          : "remove numbers (or a CSV's phone column) from a group",
      )
      .action(
        act(async (args: string[], o: { group?: string; file?: string; invite: boolean; interval: number }, cmd: Command) => {
          const c = conn(cmd);
          const inst = await resolveInstance(c, takeInstance(globals(cmd), args));
          const group = o.group ?? args.shift();
          if (!group) throw new CliError(`give the group: groupgate participants ${verb} <instance> <group id> --file members.csv`, 2);
          if (o.file && args.length) throw new CliError('give numbers or --file, not both', 2);
          return (await import('./cli-participants.js')).participantsRun(c, verb, inst, { group, file: o.file, numbers: args, invite: o.invite, interval: o.interval * 1000 });
        }),
      );
  }

  const events = root.command('events').description('the event log');
  events
    .command('tail')
    .argument('[instance]', "only this instance's events (id, name or idInstance)")
    .addOption(instanceOption)
    .option('--after <event id>', 'start after this event (default: only new events)')
    .option('--limit <n>', 'stop after this many events', (v) => positive(v, '--limit'))
    .description('follow the live event stream; reconnects (and resumes) when the server restarts')
    .action(
      act(async (ref: string | undefined, o: { after?: string; limit?: number }, cmd: Command) => {
        const c = conn(cmd);
        const instanceRef = takeInstance(globals(cmd), [ref].filter(Boolean) as string[]);
        const inst = instanceRef ? await resolveInstance(c, instanceRef) : undefined;
        return (await import('./cli-commands.js')).eventsTail(c, inst, o);
      }),
    );

  const keys = root.command('keys').description('API keys (admin key needed)');
  keys
    .command('list', { isDefault: true })
    .description('every API key (never the secrets)')
    .action(act(async (_o, cmd: Command) => (await import('./cli-commands.js')).keysList(conn(cmd))));
  keys
    .command('create')
    .argument('<name>', 'what the key is for')
    .option('--instances <ids>', 'comma-separated instance ids the key may see (default: all)', (v) => v.split(',').filter(Boolean))
    .description('create an API key; prints it once')
    .action(act(async (name: string, o: { instances?: string[] }, cmd: Command) => (await import('./cli-commands.js')).keysCreate(conn(cmd), name, o.instances)));
  keys
    .command('rotate')
    .argument('<id>', 'the key id')
    .description('replace a key; prints the new one once')
    .action(act(async (id: string, _o, cmd: Command) => (await import('./cli-commands.js')).keysRotate(conn(cmd), id)));
  keys
    .command('delete')
    .argument('<id>', 'the key id')
    .description('delete a key')
    .action(act(async (id: string, _o, cmd: Command) => (await import('./cli-commands.js')).keysDelete(conn(cmd), id)));

  return root;
}

function positive(value: string, name: string, zero = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (!zero && n === 0)) throw new CliError(`${name} must be a ${zero ? 'non-negative' : 'positive'} number`, 2);
  return n;
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 refused or failed, 2 usage, 130 interrupted). */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let code = 0;
  const root = program(io, (c) => (code = c));
  if (argv.length === 0) {
    root.outputHelp();
    return 1;
  }
  try {
    await root.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') return 0;
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof CliError) {
      io.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
