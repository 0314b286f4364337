export * from './labProtocol';
