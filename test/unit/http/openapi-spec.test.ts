import fs from 'fs';
import path from 'path';
import { execFileSync } from 'child_process';
import { loadSpec, describeValidationError, OPENAPI_DIR } from '../../../src/http/openapi-spec';

const specs = fs.readdirSync(OPENAPI_DIR).filter((f) => f.endsWith('.yaml'));

describe('the OpenAPI files (the one contract)', () => {
  it.each(specs)('%s loads, has unique operationIds and a server url', (file) => {
    const spec = loadSpec(file);
    expect(spec.mountPath).toMatch(/^\/[a-z]+$/);
    const ids = spec.operations.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(0);
  });

  it('operationIds are unique across every service (handlers are keyed by them)', () => {
    const all = specs.flatMap((f) => loadSpec(f).operations.map((o) => o.operationId));
    expect(new Set(all).size).toBe(all.length);
  });

  it('the generated TypeScript types are not stale', () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    expect(() => execFileSync(process.execPath, [path.join(root, 'scripts', 'gen-types.js'), '--check'], { stdio: 'pipe' })).not.toThrow();
  }, 60_000); // generating every spec takes seconds, more under a loaded full run

  it('validators name the offending field', () => {
    const op = loadSpec('identity.yaml').operations.find((o) => o.operationId === 'createProject')!;
    expect(op.validate!({ project: { name: 5 } })).toBe(false);
    expect(describeValidationError(op.validate!.errors, { project: { name: 5 } })).toBe("Invalid input for field/attribute name. 5 is not of type 'string'");
    expect(op.validate!({ project: {} })).toBe(false);
    expect(describeValidationError(op.validate!.errors, { project: {} })).toContain("'name' is a required property");
  });

  it('length and range refusals use Python jsonschema\'s wording, as Nova, Cinder and Keystone print it', () => {
    const volume = loadSpec('volume.yaml').operations.find((o) => o.operationId === 'createVolume')!;
    const long = 'n'.repeat(256);
    expect(volume.validate!({ volume: { size: 1, name: long } })).toBe(false);
    expect(describeValidationError(volume.validate!.errors, { volume: { size: 1, name: long } })).toBe(`Invalid input for field/attribute name. '${long}' is too long`);
    const project = loadSpec('identity.yaml').operations.find((o) => o.operationId === 'createProject')!;
    expect(project.validate!({ project: { name: '' } })).toBe(false);
    expect(describeValidationError(project.validate!.errors, { project: { name: '' } })).toBe("Invalid input for field/attribute name. '' should be non-empty");
    const quoted = `it's ${'x'.repeat(70)}`;
    expect(project.validate!({ project: { name: quoted } })).toBe(false);
    expect(describeValidationError(project.validate!.errors, { project: { name: quoted } })).toBe(`Invalid input for field/attribute name. "${quoted}" is too long`);
  });
});
