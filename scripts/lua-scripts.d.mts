// Types for lua-scripts.mjs (imported by test/lib/scripts/scripts.test.ts).
export interface LoadedScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly file: string;
  /** The file as written, include lines and all. */
  readonly source: string;
  /** The include names its include lines give, in order. */
  readonly includes: readonly string[];
  /** The script as Redis runs it: include lines replaced by the includes' text. */
  readonly lua: string;
}
export declare function loadScripts(dir: string): {
  includes: Map<string, string>;
  scripts: LoadedScript[];
  unused: string[];
};
export declare function renderIndex(scripts: readonly LoadedScript[]): string;
