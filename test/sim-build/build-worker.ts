/**
 * Runs one buildVerilatedInfo in its own process, for the cross-process
 * concurrency tests: argv[2] is the JSON of the build request; prints the
 * result (or the UserError message) as JSON on stdout.
 */
import { buildVerilatedInfo, type VerilatedBuild } from '../../sim/build/index.ts';

const request = JSON.parse(process.argv[2]!) as VerilatedBuild;
try {
  const r = await buildVerilatedInfo(request);
  process.stdout.write(JSON.stringify({ exe: r.exe, hit: r.hit }));
} catch (e) {
  process.stdout.write(JSON.stringify({ error: (e as Error).message }));
}
