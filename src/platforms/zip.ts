/**
 * Writes a folder as a zip archive (deflated entries, Unix permissions kept, so that Gradescope's
 * setup.sh and run_autograder stay executable). Node has no zip writer; this is the small part of
 * the format (PKWARE APPNOTE 6.3: local headers, central directory, end record) that a package of
 * a few thousand files under 4 GiB needs.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

interface Entry {
  name: string;
  data: Buffer;
  mode: number;
}

function collect(root: string, dir = root): Entry[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => {
      const full = path.join(dir, d.name);
      if (d.isDirectory()) return collect(root, full);
      if (!d.isFile()) return [];
      return [{ name: path.relative(root, full).split(path.sep).join('/'), data: readFileSync(full), mode: statSync(full).mode & 0o777 }];
    });
}

/** A fixed time (1 January 2026) in MS-DOS form: the same folder always gives the same bytes. */
const DOS_TIME = 0;
const DOS_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1;

/** The fields a local header and the central directory share, in the same order: method, time, date, CRC, sizes, name length. */
function entryFields(header: Buffer, at: number, crc: number, compressedSize: number, size: number, nameLength: number): void {
  header.writeUInt16LE(8, at); // deflate
  header.writeUInt16LE(DOS_TIME, at + 2);
  header.writeUInt16LE(DOS_DATE, at + 4);
  header.writeUInt32LE(crc, at + 6);
  header.writeUInt32LE(compressedSize, at + 10);
  header.writeUInt32LE(size, at + 14);
  header.writeUInt16LE(nameLength, at + 18);
}

export function writeZip(folder: string, zipFile: string): number {
  const entries = collect(folder);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const compressed = deflateRawSync(entry.data, { level: 9 });
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    entryFields(local, 8, crc, compressed.length, entry.data.length, name.length);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    entryFields(central, 10, crc, compressed.length, entry.data.length, name.length);
    central.writeUInt32LE(((0o100000 | entry.mode) << 16) >>> 0, 38); // a regular file and its permissions
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  if (entries.length > 0xffff || offset > 0xffffffff) throw new Error('the package is too large for a zip without ZIP64');
  writeFileSync(zipFile, Buffer.concat([...locals, directory, end]));
  return entries.length;
}
