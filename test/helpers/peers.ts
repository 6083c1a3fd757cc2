import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

const require = createRequire(import.meta.url);

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function existsExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** An npm-shipped binary; npm 11 may not have run the package's chmod postinstall, so we set it. */
function fromPackage(pkg: string): string | undefined {
  try {
    const mod = require(pkg) as { path?: string };
    if (!mod.path) return undefined;
    try {
      accessSync(mod.path, constants.X_OK);
    } catch {
      chmodSync(mod.path, 0o755);
    }
    return mod.path;
  } catch {
    return undefined;
  }
}

/**
 * Path of a real peer program: on PATH first (Debian's ffmpeg 5.1, GStreamer), else the npm-shipped
 * binary. Throws a clear error when it is nowhere, so the test fails saying what is missing.
 */
export function findPeer(name: 'ffmpeg' | 'ffprobe' | 'gst-launch-1.0' | 'python3'): string {
  // Debian's own python3 is the one with python3-gi (GStreamer's RTSP server bindings); a pyenv
  // or venv python3 earlier on PATH would lack them.
  const debianPython = name === 'python3' && existsExecutable('/usr/bin/python3') ? '/usr/bin/python3' : undefined;
  const p =
    debianPython ??
    onPath(name) ??
    (name === 'ffmpeg' ? fromPackage('@ffmpeg-installer/ffmpeg') : undefined) ??
    (name === 'ffprobe' ? fromPackage('@ffprobe-installer/ffprobe') : undefined);
  if (!p) {
    throw new Error(
      `${name} not found on PATH nor in node_modules: install it (apt-get install -y ffmpeg ` +
        `gstreamer1.0-tools gstreamer1.0-rtsp …, see .ci/run) to run this interop test`,
    );
  }
  return p;
}
