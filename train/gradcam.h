// Grad-CAM (Selvaraju et al., 2017): where in the image a CNN looked when it
// scored a class. For a feature map A (C, h, w) of a chosen layer and the
// score y_k of class k (its logit, before the softmax):
//
//   alpha_c = mean over (i, j) of d y_k / d A_c(i, j)      one weight per channel
//   cam(i, j) = ReLU( sum_c alpha_c A_c(i, j) )            (h, w)
//
// A channel counts as much as the score rises when it rises; the ReLU keeps
// only the evidence for the class. The map is as coarse as the layer (7x7
// for ResNet's layer4 at 224); report::gradcam_overlay scales it onto the
// image. The feature map and its gradient are captured with LayerCapture
// (layers/module.h) and retain_grad.
#pragma once
#include <string>
#include <vector>

#include "layers/network.h"
#include "report/image.h"

namespace cudagrad {
namespace train {

struct GradcamResult {
  std::string layer;
  int target = 0;                    // the class explained
  std::vector<float> probabilities;  // the model's softmax for the image
  std::vector<float> heat;           // (height, width), >= 0
  int height = 0, width = 0;
};

// The default layer: the last top-level layer whose output is still a
// feature map (N, C, H, W): "layer4" (ResNet), "blocks" (MobileNet),
// "pool2" (LeNet).
std::string default_gradcam_layer(const Network& model, int input);

// image: (1, 3, H, W), normalized. target < 0 explains the predicted class.
// The model is used in evaluation mode; an unknown layer, or one whose
// output is not a feature map, is an Error listing the layers.
GradcamResult gradcam(Network& model, const Tensor& image, const std::string& layer, int target = -1);

// The heat map laid over the image file, shown `width` pixels wide with
// its own aspect ratio (the model saw it squeezed to a square; the map
// stretches back with it).
report::Image gradcam_overlay_image(const std::string& image_path, const GradcamResult& result,
                                    int width = 320);

}  // namespace train
}  // namespace cudagrad
