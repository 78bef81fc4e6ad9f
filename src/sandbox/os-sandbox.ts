/**
 * The OS layer under Node's permission model: bubblewrap (Debian package `bubblewrap`) runs a
 * submission's process in new user, PID, network, IPC, UTS and cgroup namespaces, with caps
 * dropped, in a root holding only what it needs (Node, its libraries, labgrade's runtime and the
 * packages the child loads, all read-only; an empty /tmp; a minimal /dev and its own /proc). It has
 * no network (loopback is its own, with nothing listening), cannot see or signal the grader, and
 * dies with its parent. A shell in front joins it to a cgroup where one can be made (cgroup.ts) and
 * sets its rlimits: no core dumps, no file writes, a bounded number of open files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';

/** `bwrap`: bubblewrap around the permission model; `node`: Node's permission model alone. */
export const SANDBOX_KINDS = ['bwrap', 'node'] as const;
export type SandboxKind = (typeof SANDBOX_KINDS)[number];

export function parseSandboxKind(text: string): SandboxKind {
  if ((SANDBOX_KINDS as readonly string[]).includes(text)) return text as SandboxKind;
  throw new UsageError(`unknown sandbox "${text}": choose bwrap (bubblewrap around Node's permission model) or node (the permission model alone)`);
}

export const INSTALL_BWRAP = 'sudo apt-get install bubblewrap';

/** The bubblewrap executable: `bwrap` on the PATH, or LABGRADE_BWRAP (the tests point it elsewhere to see what happens without it). */
export const BWRAP = process.env.LABGRADE_BWRAP || 'bwrap';

/** What the sandboxed process may see besides the system's libraries: read-only files and folders, and devices (a GPU's). */
export interface SandboxView {
  readable: readonly string[];
  devices?: readonly string[];
}

const MULTIARCH: Record<string, string> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/** What a view has made so far: symlinks created and paths bound, each once. */
interface Mirrored {
  args: string[];
  links: Set<string>;
  binds: Set<string>;
}

/**
 * bwrap arguments that make `p` appear as on the host: a file or folder bound read-only, reached
 * through the same symlinks as on the host. A symlinked folder on the way becomes the same
 * symlink, and only `p` itself is bound where it leads (not the whole folder it points into);
 * where `p` is a symlink itself, what it points to is bound as well. (`linksOnly`: the folders on
 * the way, which bwrap creates as it binds what is below them.)
 */
function mirror(p: string, view: Mirrored, linksOnly = false): void {
  if (!existsSync(p)) return;
  const parent = path.dirname(p);
  if (parent !== p && realpathSync(parent) !== parent) {
    mirror(parent, view, true);
    mirror(path.join(realpathSync(parent), path.basename(p)), view, linksOnly);
    return;
  }
  if (lstatSync(p).isSymbolicLink()) {
    const target = readlinkSync(p);
    if (!view.links.has(p)) view.args.push('--symlink', target, p);
    view.links.add(p);
    mirror(path.resolve(parent, target), view, linksOnly);
    return;
  }
  if (linksOnly || view.binds.has(p)) return;
  view.args.push('--ro-bind', p, p);
  view.binds.add(p);
}

/** Node's executable and the folders its shared libraries come from. */
function systemPaths(): string[] {
  const arch = MULTIARCH[os.arch()];
  const multiarch = arch ? [`/lib/${arch}`, `/usr/lib/${arch}`].filter((p) => existsSync(p)) : [];
  return [
    realpathSync(process.execPath),
    '/lib64',
    '/usr/lib64',
    ...(multiarch.length > 0 ? multiarch : ['/lib', '/usr/lib']),
    '/etc/ld.so.cache',
  ];
}

/** The bwrap arguments for a process seeing `view`; the command to run follows them. */
export function bwrapArguments(view: SandboxView): string[] {
  const args = [
    '--unshare-all',
    '--unshare-user',
    '--uid', '65534',
    '--gid', '65534',
    '--hostname', 'labgrade-sandbox',
    '--die-with-parent',
    '--new-session',
    '--cap-drop', 'ALL',
    '--proc', '/proc',
    '--dev', '/dev',
    '--tmpfs', '/tmp',
  ];
  const mirrored: Mirrored = { args, links: new Set(), binds: new Set() };
  for (const p of [...systemPaths(), ...view.readable]) mirror(p, mirrored);
  for (const device of view.devices ?? []) if (existsSync(device)) args.push('--dev-bind', device, device);
  args.push('--chdir', '/tmp');
  return args;
}

/**
 * The shell in front of bwrap: joins the cgroups (their cgroup.procs files), sets the rlimits, then
 * becomes `command`. Its own writes (the pid into cgroup.procs) come before the file-size limit.
 * A GPU driver keeps device memory in memory files (lavapipe's memfds die of SIGBUS under a zero
 * file size), so a process with `driverFiles` gets no file-size limit: its only writable folder is
 * the sandbox's /tmp, in memory, which its cgroup's memory limit counts.
 */
export function limitedCommand(procsFiles: readonly string[], command: string, args: readonly string[], driverFiles = false): { command: string; args: string[] } {
  const fileSize = driverFiles ? '' : 'ulimit -f 0; ';
  const script = `while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; ulimit -c 0; ${fileSize}ulimit -n 1024; exec "$@"`;
  return { command: '/bin/sh', args: ['-c', script, 'labgrade-sandbox', ...procsFiles, '--', command, ...args] };
}

let probed: { available: true } | { available: false; reason: string } | undefined;

/** Whether bubblewrap can start a sandbox here (tried once per process: Node in an empty sandbox). */
export function bwrapStatus(): { available: true } | { available: false; reason: string } {
  if (probed) return probed;
  if (process.platform !== 'linux') return (probed = { available: false, reason: `bubblewrap runs on Linux only (this is ${process.platform})` });
  const run = spawnSync(BWRAP, [...bwrapArguments({ readable: [] }), '--', realpathSync(process.execPath), '-e', '0'], { timeout: 20_000, encoding: 'utf8', env: {} });
  const error = run.error as NodeJS.ErrnoException | undefined;
  if (error?.code === 'ENOENT') probed = { available: false, reason: `bubblewrap is not installed (${INSTALL_BWRAP})` };
  else if (error || run.status !== 0) {
    const said = (run.stderr ?? '').trim().split('\n')[0]?.replace(/[^\x20-\x7e]/g, '').slice(0, 200);
    probed = {
      available: false,
      reason: `bubblewrap is installed but could not start a sandbox (${said || error?.message || `exit ${run.status}`}); unprivileged user namespaces may be disabled here (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 also kernel.apparmor_restrict_unprivileged_userns=0)`,
    };
  } else probed = { available: true };
  return probed;
}

/** Files and devices a WebGPU (Vulkan) process needs besides the libraries: the drivers' manifests and libraries, the GPU devices, sysfs for finding them. */
export function vulkanView(env: NodeJS.ProcessEnv = process.env): SandboxView {
  const manifests = (env.VK_ICD_FILENAMES ?? env.VK_DRIVER_FILES ?? '').split(':').filter(Boolean);
  const driverFiles = manifests.flatMap((file) => {
    try {
      const library = (JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: string } }).ICD?.library_path;
      return [file, ...(library && path.isAbsolute(library) ? [library] : library ? [path.resolve(path.dirname(file), library)] : [])];
    } catch {
      return [file];
    }
  });
  const libraryDirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter((p) => path.isAbsolute(p));
  const devices = ['/dev/dri', ...readdirSync('/dev').filter((d) => d.startsWith('nvidia')).map((d) => `/dev/${d}`)];
  return { readable: ['/usr/share/vulkan', '/etc/vulkan', '/sys', ...driverFiles, ...libraryDirs], devices };
}
