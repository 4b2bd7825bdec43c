#!/usr/bin/env node
// Entry point of `npx gatehouse …` and `npm start`; the compiled code lives in dist/.
import { main } from '../dist/main.js';

const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
