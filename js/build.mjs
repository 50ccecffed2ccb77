// Builds the widget front end into src/bayes_widgets/static/ (generated, not committed).
//
// Every widget module is bundled on its own and stays small; BokehJS is bundled once,
// into bokeh_lib.js, which a single hidden model per kernel carries to the page.
// BokehJS registers its models by class name, so identifiers are never renamed.
import * as esbuild from "esbuild";
import { readFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const bokehPkg = JSON.parse(
  readFileSync(join(root, "node_modules/@bokeh/bokehjs/package.json"), "utf8"),
);
const outdir = join(root, "src/bayes_widgets/static");
mkdirSync(outdir, { recursive: true });

// One entry per widget module (js/<name>.js) plus the BokehJS carrier.
const entries = readdirSync(join(root, "js"))
  .filter((f) => f.endsWith(".js"))
  .map((f) => join(root, "js", f));

await esbuild.build({
  entryPoints: entries,
  outdir,
  bundle: true,
  format: "esm",
  target: "es2020",
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: false,
  keepNames: true,
  loader: { ".css": "text" },
  define: {
    __BW_VERSION__: JSON.stringify(pkg.version),
    __BOKEHJS_VERSION__: JSON.stringify(bokehPkg.version),
  },
  logLevel: "warning",
});
console.log(`built ${entries.length} modules into ${outdir} (version ${pkg.version}, BokehJS ${bokehPkg.version})`);
