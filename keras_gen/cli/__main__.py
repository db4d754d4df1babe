from keras_gen.cli import run

run()
