/**
 * Writing a command's output folder all at once: files are written into a
 * temp folder beside it and renamed into place only when everything
 * succeeded, so a failed run leaves nothing half-written behind.
 */
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

export class StagedDir {
  private constructor(
    readonly final: string,
    readonly staging: string,
  ) {}

  static async open(out: string): Promise<StagedDir> {
    const final = resolve(out);
    await mkdir(dirname(final), { recursive: true });
    return new StagedDir(final, await mkdtemp(join(dirname(final), `.${basename(final)}.partial-`)));
  }

  path(name: string): string {
    return join(this.staging, name);
  }

  async write(name: string, data: string | Uint8Array): Promise<void> {
    await mkdir(dirname(this.path(name)), { recursive: true });
    await writeFile(this.path(name), data);
  }

  /**
   * Moves every staged entry into the output folder. An entry of the same name
   * from an earlier run is replaced whole (a folder too: mixing two runs'
   * files would be worse than either); other files there are left alone.
   */
  async commit(): Promise<void> {
    await mkdir(this.final, { recursive: true });
    for (const name of await readdir(this.staging)) {
      const target = join(this.final, name);
      await rm(target, { recursive: true, force: true });
      await rename(join(this.staging, name), target);
    }
    await rm(this.staging, { recursive: true, force: true });
  }

  async discard(): Promise<void> {
    await rm(this.staging, { recursive: true, force: true });
  }
}

/** Runs `body` against a staged folder: committed on success, discarded on any error. */
export async function withStagedDir<T>(out: string, body: (dir: StagedDir) => Promise<T>): Promise<T> {
  const dir = await StagedDir.open(out);
  try {
    const r = await body(dir);
    await dir.commit();
    return r;
  } catch (e) {
    await dir.discard();
    throw e;
  }
}
