// The modeltrail GitHub Action, bundled by scripts/build-action.mjs from packages/cli/src/action. Do not edit.
import { createRequire as __mtCreateRequire } from "node:module";
const require = __mtCreateRequire(import.meta.url);
import{b as a}from"./chunk-EDGZN6F4.mjs";import"./chunk-6VEOFIHX.mjs";import"./chunk-UAKHMW3V.mjs";export default a();
