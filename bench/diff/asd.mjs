// api-smart-diff on two YAML specs: every change as {type, action, path, description}, one JSON line.
import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { apiCompare } from "api-smart-diff";

const [before, after] = process.argv.slice(2).map((p) => yaml.load(readFileSync(p, "utf8")));
const { diffs } = apiCompare(before, after);
const out = diffs.map((d) => ({
  type: d.type,
  action: d.action,
  path: (d.path || []).join("/"),
  description: d.description || "",
}));
process.stdout.write(JSON.stringify(out) + "\n");
