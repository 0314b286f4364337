/** The image feature's public API: other features and src/app import only from here. */
export { addImageFiles } from './client/addImageFiles';
export { ClassificationController, currentQuery } from './client/classificationController';
export { ClipBridge, createClipWorker } from './client/clipBridge';
export { isSvg, newImageItem } from './client/prepareImages';
export { clearStoredEmbeddings } from './shared/embeddingStorage';
export { ImageDropzone } from './ui/ImageDropzone';
export { ImageGrid } from './ui/ImageGrid';
export { ImageControllerService, LiveCameraService } from './ui/imageServices';
export { LiveCamera, type LiveCameraDebug } from './client/liveCamera';
