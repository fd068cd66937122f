import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { ConfigError } from "../errors/config-error.js";

/** One `key = value` of a `.databrickscfg` section. */
export interface DatabricksConfigEntry {
  /**
   * The value: trimmed, continuation lines joined with `\n` (trailing empty lines dropped), and one
   * pair of surrounding quotes removed.
   */
  value: string;
  /** 1-based line of the key. */
  line: number;
  /** How many lines the value spans (more than 1 when indented lines continue it). */
  lines: number;
  /** True when one pair of surrounding quotes was removed. */
  quoted: boolean;
}

/** A parsed `.databrickscfg`: sections in file order, each mapping lower-cased keys to entries. */
export interface DatabricksConfigFile {
  /** The path read, or the name given to `parseDatabricksConfig`; used in messages. */
  path: string;
  /** Every section, including empty ones, `DEFAULT` and `__settings__`, in file order. */
  sections: Map<string, Map<string, DatabricksConfigEntry>>;
}

/** The reserved section holding file-wide settings (`default_profile`), never a profile. */
export const DATABRICKS_SETTINGS_SECTION = "__settings__";

const HEADER = /^\[([^\]]+)\](?:\s*[#;].*)?$/;
const COMMENT = /^[#;]/;

/**
 * Parses a `.databrickscfg` file as Python's `configparser` does for the Databricks SDKs: `[section]`
 * headers (case-sensitive names, dots allowed), `key = value` or `key: value` (split at the first `=`
 * or `:`, keys lower-cased), whole-line `#`/`;` comments, and indented lines that continue the value
 * above them (joined with `\n`). Sections do not inherit from `DEFAULT`.
 *
 * It refuses, as `configparser`'s strict mode does, a key before the first section, the same section
 * twice, the same key twice in a section, and a line that is neither a header, a pair, a comment nor
 * blank. Stricter than `configparser`: a repeated `[DEFAULT]` is refused too, and so is a section
 * name with spaces around it. One pair of quotes around a whole value is removed (as the Go SDK
 * does; Python keeps them). Inline comments are not stripped here: the resolver refuses a value it
 * uses when it looks like one. Messages name the file and line, never a value.
 *
 * @throws ConfigError on any of the above.
 */
export function parseDatabricksConfig(text: string, path = ".databrickscfg"): DatabricksConfigFile {
  const sections = new Map<string, Map<string, DatabricksConfigEntry>>();
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  let section: Map<string, DatabricksConfigEntry> | undefined;
  let sectionName = "";
  // The entry continuation lines extend, with the indentation of its key line.
  let open: { key: string; parts: string[]; indent: number; entry: DatabricksConfigEntry } | undefined;
  const fail = (line: number, what: string, hint: string) =>
    new ConfigError(`${path} line ${line}: ${what}`, { sources: ["DATABRICKS_CONFIG_FILE"], hint });
  const close = () => {
    if (!open) return;
    while (open.parts.length > 1 && open.parts.at(-1) === "") open.parts.pop();
    open.entry.lines = open.parts.length;
    const joined = open.parts.join("\n");
    const unquoted = unquote(joined);
    open.entry.value = unquoted ?? joined;
    open.entry.quoted = unquoted !== undefined;
    open = undefined;
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    const stripped = raw.trim();
    if (COMMENT.test(stripped)) continue;
    if (stripped === "") {
      // configparser keeps blank lines inside a value when a continuation line follows them.
      if (open) open.parts.push("");
      continue;
    }
    const indent = raw.length - raw.trimStart().length;
    if (open && indent > open.indent) {
      open.parts.push(stripped);
      continue;
    }
    close();
    const header = HEADER.exec(stripped);
    if (header) {
      const name = header[1]!;
      if (name.trim() !== name)
        throw fail(
          lineNo,
          `the section name [${name}] has spaces around it`,
          `Write it as [${name.trim()}]: the Databricks SDKs disagree on whether the spaces belong to the name`,
        );
      if (sections.has(name))
        throw fail(
          lineNo,
          `section [${name}] appears a second time`,
          "Merge the two sections into one: the Databricks SDKs refuse a repeated section",
        );
      section = new Map();
      sections.set(name, section);
      sectionName = name;
      continue;
    }
    if (stripped.startsWith("["))
      throw fail(
        lineNo,
        "is not a valid [section] header",
        "Write a section header as [name] on its own line",
      );
    if (!section)
      throw fail(
        lineNo,
        "has a setting before the first [section] header",
        "Put the settings under a [DEFAULT] or [profile-name] header",
      );
    const at = stripped.search(/[=:]/);
    const key = at > 0 ? stripped.slice(0, at).trim().toLowerCase() : "";
    if (key === "")
      throw fail(
        lineNo,
        `in [${sectionName}] is neither [section], key = value, a comment nor blank`,
        "Fix the file's syntax: every setting is key = value",
      );
    if (section.has(key))
      throw fail(
        lineNo,
        `key ${key} appears a second time in [${sectionName}] (first on line ${section.get(key)!.line})`,
        "Keep one of the two lines: the Databricks SDKs refuse a repeated key",
      );
    const entry: DatabricksConfigEntry = { value: "", line: lineNo, lines: 1, quoted: false };
    section.set(key, entry);
    open = { key, parts: [stripped.slice(at + 1).trim()], indent, entry };
  }
  close();
  return { path, sections };
}

/** Removes one pair of matching quotes around a whole single-line value, or returns undefined. */
function unquote(value: string): string | undefined {
  if (value.length < 2 || value.includes("\n")) return undefined;
  const q = value[0];
  if ((q === '"' || q === "'") && value.endsWith(q)) return value.slice(1, -1);
  return undefined;
}

/** The largest config file read (1 MiB): a real one is a few hundred bytes per profile. */
export const MAX_DATABRICKS_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads and parses a `.databrickscfg` file; returns undefined when it does not exist.
 *
 * @throws ConfigError when the file exists but cannot be read or parsed, is not a regular file (a
 * directory, a device such as /dev/zero, a pipe), or is larger than `MAX_DATABRICKS_CONFIG_BYTES`.
 */
export async function readDatabricksConfig(path: string): Promise<DatabricksConfigFile | undefined> {
  const refuse = (what: string, hint = "Point DATABRICKS_CONFIG_FILE at your .databrickscfg") =>
    new ConfigError(`Cannot read the Databricks config file ${path}: ${what}`, {
      sources: ["DATABRICKS_CONFIG_FILE"],
      hint,
    });
  let text: string;
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const stat = await handle.stat();
    if (!stat.isFile()) throw refuse(stat.isDirectory() ? "EISDIR" : "not a regular file");
    if (stat.size > MAX_DATABRICKS_CONFIG_BYTES)
      throw refuse(`${stat.size} bytes, more than the ${MAX_DATABRICKS_CONFIG_BYTES} a config file can have`);
    // Read at most one byte past the limit, in case the file grows after the stat.
    const buffer = Buffer.alloc(MAX_DATABRICKS_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_DATABRICKS_CONFIG_BYTES)
        throw refuse(`more than ${MAX_DATABRICKS_CONFIG_BYTES} bytes`);
    }
    text = buffer.subarray(0, length).toString("utf8");
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw refuse(
      code ?? String(error),
      "Check the file's permissions, or point DATABRICKS_CONFIG_FILE at another file",
    );
  } finally {
    await handle?.close();
  }
  return parseDatabricksConfig(text, path);
}
