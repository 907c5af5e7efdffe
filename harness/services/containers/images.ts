/**
 * Images for the testcontainers provider. `local` (the default) builds one `FROM scratch`
 * per service out of the binaries setup installed, and their shared libraries, so nothing
 * is pulled and a machine without a registry runs containers too; `public` uses the
 * services' public images (pulled on first use).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { ServiceDefinition } from '../kinds/index.js';
import { dockerClient, loadTestcontainers } from './engine.js';
import { LABELS } from './labels.js';

export type ContainerImages = 'local' | 'public';

/** Where a built image keeps the service's binary, and the data folder every image has. */
const BIN_DIR = '/usr/local/bin';
export const CONTAINER_DATA_DIR = '/tmp';

export interface ServiceImage {
  name: string;
  /** What the container's command line starts with, before the service's own arguments. */
  command: readonly string[];
}

/** The image a service runs from, built first when it is a local one not built yet. */
export async function serviceImage(
  definition: ServiceDefinition,
  images: ContainerImages,
): Promise<ServiceImage> {
  if (images === 'public') return definition.container.publicImage;
  const binary = definition.binary();
  const files = [binary, ...sharedLibraries(binary)];
  const dockerfile = [
    'FROM scratch',
    'COPY rootfs/ /',
    `ENTRYPOINT ["${BIN_DIR}/${basename(binary)}"]`,
    `LABEL ${LABELS.managed}=true`,
    '',
  ].join('\n');
  // Tagged by what goes in: the same binaries give the same image, built once per machine
  // whichever checkout asks (a second clone's binaries are the same bytes at another path).
  const name = `faultline-${definition.name}:${contentKey(binary, files.slice(1), dockerfile)}`;
  const client = await dockerClient();
  const { ImageName, GenericContainer } = await loadTestcontainers();
  if (!(await client.image.exists(ImageName.fromString(name)))) {
    const context = mkdtempSync(join(tmpdir(), `faultline-image-${definition.name}-`));
    try {
      writeFileSync(join(context, 'Dockerfile'), dockerfile);
      copyInto(join(context, 'rootfs'), binary, `${BIN_DIR}/${basename(binary)}`);
      for (const library of files.slice(1)) copyInto(join(context, 'rootfs'), library, library);
      mkdirSync(join(context, 'rootfs', CONTAINER_DATA_DIR), { recursive: true });
      await GenericContainer.fromDockerfile(context).build(name, { deleteOnExit: false });
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
    await removeOlderImages(client.container.dockerode, definition.name, name);
  }
  return { name, command: [] };
}

type Dockerode = Awaited<ReturnType<typeof dockerClient>>['container']['dockerode'];

/**
 * Images of this service built from binaries since replaced (setup reinstalled the Temporal
 * CLI): 150 MB each, never used again. Best effort; an image a container still uses stays.
 */
async function removeOlderImages(dockerode: Dockerode, service: string, current: string): Promise<void> {
  const images = await dockerode.listImages({ filters: { reference: [`faultline-${service}`] } });
  // By tag: the same bytes under an older tag are one image with two tags.
  const older = images.flatMap((image) => image.RepoTags ?? []).filter((tag) => tag !== current);
  for (const tag of older)
    await dockerode
      .getImage(tag)
      .remove()
      .catch(() => {});
}

/**
 * The shared libraries a binary loads, the dynamic loader included, from `ldd`; none for a
 * static binary (the Temporal CLI and Toxiproxy are Go, built without cgo).
 */
function sharedLibraries(binary: string): string[] {
  let out: string;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return []; // "not a dynamic executable" exits 1
  }
  return parseLdd(out);
}

/** `libssl.so.3 => /lib/x86_64-linux-gnu/libssl.so.3 (0x…)` and `/lib64/ld-linux-x86-64.so.2 (0x…)`. */
export function parseLdd(out: string): string[] {
  const paths: string[] = [];
  for (const line of out.split('\n')) {
    const match = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (match?.[1]) paths.push(match[1]);
  }
  return paths;
}

/** Copies a file (following symlinks: the image gets the content under the path loaded). */
function copyInto(root: string, from: string, to: string): void {
  const target = join(root, to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(from, target);
}

/** The Dockerfile, the libraries' paths (where the image puts them) and every file's bytes. */
function contentKey(binary: string, libraries: readonly string[], dockerfile: string): string {
  const hash = createHash('sha256').update(dockerfile);
  for (const file of [binary, ...libraries]) {
    hash.update(file === binary ? basename(file) : file);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 12);
}
