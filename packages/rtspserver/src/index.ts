/** @packageDocumentation @dorsvr/rtspserver */
export {};
