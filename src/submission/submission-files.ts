/**
 * Every read of a submission's files goes through here: lab files, the files they import,
 * student.json and trained models. A file is read only if it is a regular file whose real path lies
 * inside the submission folder, is not a hard link to a file elsewhere (link count 1), and is no
 * larger than its kind allows; it is opened without blocking and checked again once open, so a FIFO,
 * a device, /dev/zero behind a symlink or a swap between the checks is refused, never read. Errors
 * name the file as the submission names it and never quote its contents.
 *
 * What was read (and what was looked for and not found) is recorded: that manifest is what the
 * resume hash of a class run covers, exactly what grading read.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import type { MessageRef } from '../contract/result.js';
import { english, msg } from '../i18n/messages.js';
import path from 'node:path';

/** A file of the submission that cannot be read by the rules; `ref` says why in any report's language. */
export class SubmissionFileError extends Error {
  constructor(readonly ref: MessageRef) {
    super(english(ref));
    this.name = 'SubmissionFileError';
  }
}

/** A file grading read, by its path inside the submission ('/' separators); a folder listing ends in '/'. */
export interface ReadRecord {
  name: string;
  sha256: string;
}

export interface SubmissionManifest {
  files: ReadRecord[];
  /** Names grading looked for that were not there (a lab file, student.json, a trained model). */
  absent: string[];
}

/**
 * The hard links of a class's submissions folder, by file (device and inode): the folders holding
 * them. A file whose every link lies in the class folder is a classmate's file as much as this
 * one's: refusing it would let one student zero another by linking to their file, so it is read,
 * and the classmates that share it are flagged instead.
 */
export type ClassLinks = ReadonlyMap<string, { links: number; folders: readonly string[] }>;

export const inodeKey = (stat: { dev: number; ino: number }) => `${stat.dev}:${stat.ino}`;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const megabytes = (n: number) => `${Math.round((n / (1 << 20)) * 10) / 10} MB`;

function kindOf(stat: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stat.isDirectory()) return 'folder';
  if (stat.isFIFO()) return 'fifo';
  if (stat.isSocket()) return 'socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'device';
  return 'other';
}

export class SubmissionFiles {
  /** The folder's real path. */
  readonly root: string;
  private readonly files = new Map<string, string>();
  private readonly absent = new Set<string>();
  private readonly shared = new Set<string>();

  /** `classLinks`: the hard links of the class folder this submission is in (a class run). */
  constructor(
    dir: string,
    private readonly classLinks?: ClassLinks,
  ) {
    this.root = realpathSync(dir);
  }

  /** The other submissions of the class that hold a file this one read (hard links between them). */
  sharedWith(): string[] {
    return [...this.shared].sort();
  }

  /** The path inside the submission, '/'-separated, of a file given relative to it or absolute. */
  relative(file: string): string {
    return path.relative(this.root, path.resolve(this.root, file)).split(path.sep).join('/');
  }

  /** Whether anything (a file, a link, even a dangling one) is at `rel`; what is not there is recorded. */
  has(rel: string): boolean {
    try {
      lstatSync(path.join(this.root, rel));
      return true;
    } catch {
      this.absent.add(rel);
      return false;
    }
  }

  /**
   * Whether `rel` names something to read: anything there but a folder (a regular file, a link, even
   * a dangling one, a FIFO: reading it decides, and says why it cannot). What is not there is
   * recorded, so that a file added there later is noticed.
   */
  isFile(rel: string): boolean {
    try {
      return !statSync(path.join(this.root, rel)).isDirectory();
    } catch {
      return this.has(rel);
    }
  }

  /** The names in a folder of the submission (recorded, so that a file added to it is noticed); empty where there is no such folder. */
  list(relDir: string): string[] {
    const dir = path.join(this.root, relDir);
    let names: string[];
    try {
      if (!statSync(dir).isDirectory() || !isInside(this.root, realpathSync(dir))) throw new Error('not a folder inside');
      names = readdirSync(dir).sort();
    } catch {
      this.absent.add(`${relDir}/`);
      return [];
    }
    this.files.set(`${relDir}/`, sha256(names.join('\0')));
    return names;
  }

  /** Reads a file of the submission (see the module's rules); `maxBytes` is what its kind may weigh. */
  readBytes(rel: string, maxBytes: number): Buffer {
    const name = this.relative(rel);
    if (name.startsWith('..') || path.isAbsolute(name)) throw new SubmissionFileError(msg('file.not-inside', { name: rel }));
    const full = path.join(this.root, name);
    try {
      lstatSync(full);
    } catch {
      this.absent.add(name);
      throw new SubmissionFileError(msg('file.missing', { name }));
    }
    let real: string;
    try {
      real = realpathSync(full);
    } catch {
      throw new SubmissionFileError(msg('file.dangling-link', { name }));
    }
    if (!isInside(this.root, real)) throw new SubmissionFileError(msg('file.link-out', { name }));
    const before = statSync(real);
    if (!before.isFile()) throw new SubmissionFileError(msg('file.not-regular', { name, kind: kindOf(before) }));
    if (before.nlink > 1) {
      const inClass = this.classLinks?.get(inodeKey(before));
      if (!inClass || inClass.links < before.nlink) throw new SubmissionFileError(msg('file.hard-link', { name, links: String(before.nlink) }));
      for (const folder of inClass.folders) if (path.resolve(folder) !== this.root) this.shared.add(path.basename(folder));
    }
    if (before.size > maxBytes) throw new SubmissionFileError(msg('file.too-large', { name, size: megabytes(before.size), max: megabytes(maxBytes) }));
    let fd: number;
    try {
      fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch {
      throw new SubmissionFileError(msg('file.not-opened', { name }));
    }
    try {
      const open = fstatSync(fd);
      if (!open.isFile() || open.ino !== before.ino || open.dev !== before.dev) throw new SubmissionFileError(msg('file.changed', { name }));
      const buffer = Buffer.alloc(Math.min(open.size, maxBytes) + 1);
      let length = 0;
      for (let n = 1; n > 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, length);
      if (length > maxBytes) throw new SubmissionFileError(msg('file.grew', { name, max: megabytes(maxBytes) }));
      const bytes = buffer.subarray(0, length);
      this.files.set(name, sha256(bytes));
      return bytes;
    } finally {
      closeSync(fd);
    }
  }

  readText(rel: string, maxBytes: number): string {
    return this.readBytes(rel, maxBytes).toString('utf8');
  }

  /** What grading read and looked for, in a stable order. */
  manifest(): SubmissionManifest {
    return {
      files: [...this.files].map(([name, hash]) => ({ name, sha256: hash })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      absent: [...this.absent].filter((name) => !this.files.has(name)).sort(),
    };
  }
}

/** The hash of a manifest: equal manifests, equal hashes. */
export function manifestHash(manifest: SubmissionManifest): string {
  return sha256(JSON.stringify([manifest.files.map((f) => [f.name, f.sha256]), manifest.absent]));
}

/**
 * The folder read again as `manifest` records it, or null where it no longer holds: a file read has
 * other contents (or cannot be read by the same rules), a folder other names, or something looked
 * for has appeared. The files read say, too, which classmates share a file now.
 */
export function rereadManifest(dir: string, manifest: SubmissionManifest, classLinks?: ClassLinks): SubmissionFiles | null {
  let files: SubmissionFiles;
  try {
    files = new SubmissionFiles(dir, classLinks);
  } catch {
    return null;
  }
  for (const name of manifest.absent) if (name.endsWith('/') ? files.list(name.slice(0, -1)).length > 0 : files.has(name)) return null;
  for (const record of manifest.files) {
    try {
      if (record.name.endsWith('/')) files.list(record.name.slice(0, -1));
      else files.readBytes(record.name, Number.MAX_SAFE_INTEGER);
    } catch {
      return null;
    }
  }
  const now = files.manifest();
  const want = new Map(manifest.files.map((f) => [f.name, f.sha256]));
  return now.files.length === manifest.files.length && now.files.every((f) => want.get(f.name) === f.sha256) ? files : null;
}
