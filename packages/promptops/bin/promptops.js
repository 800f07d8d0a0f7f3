#!/usr/bin/env node
// A committed entry, so npm links the command at install time, before the build has made dist/.
import "../dist/bin.js"
