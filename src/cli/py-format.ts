/** Python's repr()/str()/json.dumps() of JSON values now live in the shared layer (Glance's schema messages use them too). */
export * from '../shared/py-format';
