#!/usr/bin/env node
/** `cdk synth` / `cdk deploy` entry (cdk.json). `-c removalPolicy=destroy` for throwaway stacks. */
import { App } from 'aws-cdk-lib';
import { defineApp } from '../lib/app';

defineApp(new App());
