// The preset picture catalogue (account.md §2.6): the original's data by default, or the JSON
// file named by ACCOUNT_PICTURES_FILE, checked once at start. A bad file stops the start with
// one ConfigError naming the setting, never a half-loaded catalogue.
import fs from 'node:fs';
import { ConfigError } from '../../config.js';

export interface Picture {
  id: number;
  name: string;
  picture: string;
}

/** Group name → pictures, in the file's order. */
export type Catalogue = Record<string, Picture[]>;

const SETTING = 'ACCOUNT_PICTURES_FILE';
const ANIME_PLANET = 'https://www.anime-planet.com/images/characters/';

function preset(id: number, name: string, file: string): Picture {
  return { id, name, picture: ANIME_PLANET + file };
}

export const DEFAULT_CATALOGUE: Catalogue = {
  male: [
    preset(1, 'Ryuzaki', 'l-death-note-1337.jpg'),
    preset(2, 'Kakashi', 'kakashi-hatake-553.jpg'),
    preset(3, 'Edward', 'edward-elric-965.jpg'),
    preset(4, 'Light', 'light-yagami-1339.jpg'),
    preset(5, 'Naruto', 'naruto-uzumaki-87.jpg'),
  ],
  female: [
    preset(6, 'Mikasa', 'mikasa-ackerman-23864.jpg'),
    preset(7, 'Erza', 'erza-scarlet-1419.jpg'),
    preset(8, 'Asuna', 'asuna-yuuki-30048.jpg'),
    preset(9, 'Hinata', 'hinata-hyuuga-626.jpg'),
    preset(10, 'Tenshi', 'tenshi-7288.jpg'),
  ],
};

/** The catalogue to serve: the file's when the setting names one, else the default. */
export function loadCatalogue(file: string | null): Catalogue {
  return file === null ? DEFAULT_CATALOGUE : parseCatalogue(readJson(file));
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(SETTING, `cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(SETTING, `"${file}" is not valid JSON: ${(err as Error).message}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks the shape of §2.6 and rebuilds it, so nothing but id, name and picture is served. */
export function parseCatalogue(raw: unknown): Catalogue {
  if (!isObject(raw)) throw new ConfigError(SETTING, 'expected a JSON object of groups, e.g. {"male": [{"id": 1, "name": "…", "picture": "https://…"}]}');
  // No prototype, so a group called "__proto__" is just a group.
  const catalogue: Catalogue = Object.create(null);
  const seen = new Set<number>();
  for (const [group, entries] of Object.entries(raw)) {
    if (!Array.isArray(entries)) throw new ConfigError(SETTING, `group "${group}" must be an array of pictures`);
    catalogue[group] = entries.map((entry, i) => parsePicture(entry, `group "${group}" entry ${i + 1}`, seen));
  }
  return catalogue;
}

function parsePicture(entry: unknown, where: string, seen: Set<number>): Picture {
  if (!isObject(entry)) throw new ConfigError(SETTING, `${where} must be an object with id, name and picture`);
  const extra = Object.keys(entry).filter((k) => !['id', 'name', 'picture'].includes(k));
  if (extra.length) throw new ConfigError(SETTING, `${where} has unknown keys: ${extra.join(', ')}`);
  const { id, name, picture } = entry;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw new ConfigError(SETTING, `${where}: id must be a positive integer`);
  if (seen.has(id)) throw new ConfigError(SETTING, `${where}: id ${id} is used twice (ids are unique across all groups)`);
  if (typeof name !== 'string' || name === '') throw new ConfigError(SETTING, `${where}: name must be a non-empty string`);
  if (typeof picture !== 'string' || !isHttpUrl(picture)) throw new ConfigError(SETTING, `${where}: picture must be an http or https URL`);
  seen.add(id);
  return { id, name, picture };
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** ACCOUNT_DEFAULT_PICTURE must be a URL a client can show, like every catalogue picture. */
export function checkDefaultPicture(url: string): string {
  if (!isHttpUrl(url)) throw new ConfigError('ACCOUNT_DEFAULT_PICTURE', `expected an http or https URL, got "${url}"`);
  return url;
}

/** id → picture URL, for set_picture. */
export function pictureIndex(catalogue: Catalogue): Map<number, string> {
  const index = new Map<number, string>();
  for (const entries of Object.values(catalogue)) for (const p of entries) index.set(p.id, p.picture);
  return index;
}
