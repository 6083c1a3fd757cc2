/** @packageDocumentation @dorsvr/rtspclient */
export {};
