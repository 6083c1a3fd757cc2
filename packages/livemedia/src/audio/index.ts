// Barrel of the audio area: audio file sources (framers).
export { WAVAudioFileSource, type WAVAudioFileSourceOptions, type WAVAudioFormat } from './WAVAudioFileSource.js';
