/** @packageDocumentation @dorsvr/groupsock */
export {};
