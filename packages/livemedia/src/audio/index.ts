// Barrel of the audio area: audio file sources (framers).
export { WAVAudioFileSource, type WAVAudioFileSourceOptions, type WAVAudioFormat } from './WAVAudioFileSource.js';
export { ADTSAudioFileSource, AAC_SAMPLING_FREQUENCIES } from './ADTSAudioFileSource.js';
export { MP3FileSource, parseMPEGAudioHeader, type MPEGAudioFrameHeader } from './MP3FileSource.js';
