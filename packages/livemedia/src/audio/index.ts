// Barrel of the audio area: audio file sources (framers) and their pure header parsers.
export {
  WAVAudioFileSource,
  parseWAVFormatChunk,
  type WAVAudioFileSourceOptions,
  type WAVAudioFormat,
  type WAVFormatChunk,
} from './WAVAudioFileSource.js';
export {
  AAC_SAMPLING_FREQUENCIES,
  parseADTSHeader,
  makeAudioSpecificConfig,
  audioSpecificConfigHex,
  type ADTSHeader,
} from './ADTSHeader.js';
export { ADTSAudioFileSource } from './ADTSAudioFileSource.js';
export { ADTSAudioStreamFramer, type ADTSAudioStreamFramerOptions } from './ADTSAudioStreamFramer.js';
export {
  MP3FileSource,
  parseMPEGAudioHeader,
  isMPEGAudioInfoFrame,
  id3v2TagSize,
  type MPEGAudioFrameHeader,
  type MPEGAudioChannelMode,
} from './MP3FileSource.js';
export { IndexedAudioFileSource, AUDIO_FILE_CHUNK_SIZE } from './IndexedAudioFileSource.js';
export {
  AudioFrameFileReader,
  AudioFrameIndexBuilder,
  audioIndexCache,
  MAX_AUDIO_INDEX_FRAMES,
  type AudioFrameIndex,
  type AudioFrameScanner,
  type CachedAudioIndex,
} from './AudioFrameIndex.js';
