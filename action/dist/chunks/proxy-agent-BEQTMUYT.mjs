// The modeltrail GitHub Action, bundled by scripts/build-action.mjs from packages/cli/src/action. Do not edit.
import { createRequire as __mtCreateRequire } from "node:module";
const require = __mtCreateRequire(import.meta.url);
import{a}from"./chunk-FTAVXQZQ.mjs";import"./chunk-RHDEINYU.mjs";import"./chunk-3INYVDPH.mjs";import"./chunk-WDBFW2MH.mjs";import"./chunk-6VEOFIHX.mjs";import"./chunk-UAKHMW3V.mjs";export default a();
