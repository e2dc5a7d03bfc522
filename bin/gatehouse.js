#!/usr/bin/env node
// The CLI entry. The compiled code lives in dist/ (built by `npm ci` through the prepare script).
import '../dist/src/cli/main.js';
