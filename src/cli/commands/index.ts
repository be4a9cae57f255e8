/** Every client command of `snapstack`, in the order `snapstack --help` lists them. */
import type { CommandSpec } from '../command';
import { adminCommands } from './admin';
import { archiveCommands } from './archive';
import { catalogCommands } from './catalog';
import { flavorCommands } from './flavor';
import { imageCommands } from './image';
import { projectCommands } from './project';
import { serverActionCommands } from './server-actions';
import { serverLifecycleCommands } from './server-lifecycle';
import { serverCommands } from './server';
import { snapshotCommands } from './snapshot';
import { snapshotListCommands } from './snapshot-list';
import { tokenCommands } from './token';
import { volumeCommands } from './volume';

export const ALL_COMMANDS: CommandSpec[] = [
  ...serverCommands,
  ...serverActionCommands,
  ...serverLifecycleCommands,
  ...imageCommands,
  ...volumeCommands,
  ...snapshotCommands,
  ...snapshotListCommands,
  ...archiveCommands,
  ...flavorCommands,
  ...projectCommands,
  ...tokenCommands,
  ...catalogCommands,
  ...adminCommands,
];
