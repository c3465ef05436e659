/**
 * The `groupgate` command: `serve` runs the server; other commands talk to a running server.
 */
import { ConfigError, describeConfig } from './config.js';

const HELP = `groupgate: self-hosted WhatsApp group-management gateway

Usage:
  groupgate serve                 start the server (configuration from GROUPGATE_* variables)
  groupgate participants add --instance <id> --group <gid> --file members.csv
                                  add a CSV's "phone" column to a group, paced (see participants --help)
  groupgate --help                this help

Configuration (environment):
${describeConfig().join('\n')}
`;

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command ? 0 : 1;
  }
  if (command === 'serve') {
    if (rest.includes('--help')) {
      process.stdout.write(HELP);
      return 0;
    }
    const { serve } = await import('./server.js');
    try {
      await serve();
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n`);
        return 2;
      }
      throw err;
    }
    return 0;
  }
  if (command === 'participants') return (await import('./cli-participants.js')).participantsCommand(rest);
  process.stderr.write(`unknown command: ${command}\n\n${HELP}`);
  return 1;
}
