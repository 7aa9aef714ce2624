#!/usr/bin/env node
require('./launch')('cli/hsms-peer');
