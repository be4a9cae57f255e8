#!/usr/bin/env python3
"""Prints tempest's response schemas as JSON, chosen as tempest's own service clients choose them.

Usage: dump-tempest-schemas.py compute|volume MICROVERSION [MICROVERSION...]

Output: {"<microversion>": {"<schema module>": {"<name>": {"status_code": [...], "response_body": {...}}}}},
e.g. {"2.1": {"servers": {"get_server": ...}}} (one process for every version: importing tempest is the slow part). For a client with schema_versions_info (servers, images,
volumes...), the names the module that client uses at MICROVERSION defines, over the base
module's (v2_1, or volume's unversioned one) for the rest, as the clients fall back to it. Nothing is copied into the repository: python3-tempest is read at test time.
"""
import importlib
import inspect
import json
import pkgutil
import sys
import types

RESPONSE = 'tempest.lib.api_schema.response.'


def parse(v):
    return tuple(int(x) for x in v.split('.'))


def pick(info, mv):
    for entry in info:
        lo, hi = entry.get('min'), entry.get('max')
        if (lo is None or parse(lo) <= mv) and (hi is None or mv <= parse(hi)):
            return entry['schema']
    return None


def schemas_of(module):
    return {name: value for name, value in vars(module).items()
            if isinstance(value, dict) and 'status_code' in value}


def dump(service, mv):
    package = importlib.import_module(
        'tempest.lib.services.compute' if service == 'compute' else 'tempest.lib.services.volume.v3')
    base_modules = {}
    chosen = {}
    for info in pkgutil.iter_modules(package.__path__):
        client = importlib.import_module(f'{package.__name__}.{info.name}')
        # The base modules a client imports, then the microversioned one it would use.
        for value in vars(client).values():
            if isinstance(value, types.ModuleType) and value.__name__.startswith(RESPONSE):
                base = value.__name__.split('.')[-1]
                is_base = value.__name__.split('.')[-2] in ('v2_1', 'volume')
                if is_base:
                    base_modules[base] = value
        for cls in vars(client).values():
            if inspect.isclass(cls) and cls.__module__ == client.__name__ and getattr(cls, 'schema_versions_info', None):
                selected = pick(cls.schema_versions_info, mv)
                if selected is not None:
                    chosen[selected.__name__.split('.')[-1]] = selected
    out = {base: schemas_of(module) for base, module in base_modules.items()}
    for base, module in chosen.items():
        out.setdefault(base, {}).update(schemas_of(module))
    return out


def main():
    service = sys.argv[1]
    json.dump({v: dump(service, parse(v)) for v in sys.argv[2:]}, sys.stdout, default=list)


if __name__ == '__main__':
    main()
