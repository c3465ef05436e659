// A node:test reporter that counts what was skipped, suites included: node's own summary counts
// only skipped tests, so a suite skipped as a whole (the live WhatsApp suite without its variables)
// would read "skipped 0". Prints one line per skipped suite or test with its reason.
import { relative } from 'node:path';

export default async function* skipSummary(source) {
  const skipped = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { skip, todo, name, details, file } = event.data;
    if (skip === undefined || skip === false || todo) continue;
    skipped.push({ kind: details?.type === 'suite' ? 'suite' : 'test', name, reason: typeof skip === 'string' ? skip : '', file: file ? relative(process.cwd(), file) : '' });
  }
  const suites = skipped.filter((s) => s.kind === 'suite').length;
  const tests = skipped.length - suites;
  yield `# skipped (suites included) ${skipped.length}: ${suites} suite${suites === 1 ? '' : 's'}, ${tests} test${tests === 1 ? '' : 's'}\n`;
  for (const s of skipped) yield `#   SKIP ${s.kind} "${s.name}"${s.file ? ` (${s.file})` : ''}${s.reason ? `: ${s.reason}` : ''}\n`;
}
