// Barrel of the sinks area: live555's FileSink family and their pure header writers.
export { FileSink, type FileSinkOptions, type FileSinkPatch } from './FileSink.js';
export { H264or5VideoFileSink, type H264or5VideoFileSinkOptions } from './H264or5VideoFileSink.js';
export { H264VideoFileSink, type H264VideoFileSinkOptions } from './H264VideoFileSink.js';
export { H265VideoFileSink, type H265VideoFileSinkOptions } from './H265VideoFileSink.js';
export { ADTSAudioFileSink, type ADTSAudioFileSinkOptions } from './ADTSAudioFileSink.js';
export { WAVAudioFileSink, type WAVAudioFileSinkOptions } from './WAVAudioFileSink.js';
export { parseAudioSpecificConfig, type AudioSpecificConfig } from './parseAudioSpecificConfig.js';
export { makeADTSHeader, ADTS_MAX_PAYLOAD } from './makeADTSHeader.js';
export { makeWAVHeader, wavBitsPerSample, type WAVHeaderFields } from './makeWAVHeader.js';
export { fileExtensionFor, type FileSinkDescription } from './fileExtensionFor.js';
export { createFileSink } from './createFileSink.js';
