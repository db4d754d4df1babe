"""Trainers and network builders. Importing the package registers every custom class for `.keras` loading."""

from keras_gen.models import (  # noqa: F401
    cyclegan,
    gan,
    gan_networks,
    image_networks,
    pixelcnn,
    progan,
    schedules,
    social_gan,
    stylegan2,
    text_to_image,
    translation,
    vae,
    video_gan,
    video_networks,
    vqvae2,
)
